import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { FUNCTIONS, onCleanup, poolTemp, tempDir } from '../helpers.ts';

const run = promisify(execFile);

describe('pool hardening (issue 10)', () => {
  it('lets the process exit when a pool is opened and never queried (defect 8)', async () => {
    const script = fileURLToPath(new URL('./fixtures/idle-pool.ts', import.meta.url));
    const { stdout } = await run(process.execPath, [script, join(tempDir(), 'idle.db')], { timeout: 20_000 });
    expect(stdout.trim()).toBe('opened');
  }, 30_000);

  it('accepts checkpoint modes in SQLite\'s capitals (defect 10)', async () => {
    const pool = await poolTemp();
    await pool.exec('CREATE TABLE t (x)');
    await expect(pool.checkpoint('TRUNCATE')).resolves.toMatchObject({ mode: 'truncate' });
    await expect(pool.checkpoint('sometimes' as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('passes the pool\'s own per-call options without the engine refusing them, and refuses a typo', async () => {
    const pool = await poolTemp({ readYourWrites: false });
    await pool.exec('CREATE TABLE t (x)');
    await pool.run('INSERT INTO t VALUES (1)', [], { readYourWrites: true });
    expect(await pool.get('SELECT count(*) AS n FROM t', [], { readYourWrites: true })).toEqual({ n: 1 });
    expect(await pool.transaction(async (tx) => tx.get('SELECT count(*) AS n FROM t'), { readonly: true, readYourWrites: true })).toEqual({ n: 1 });
    await expect(pool.get('SELECT 1', [], { integer: 'bigint' } as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('runs the init hook on the writer and on every reader, again on a replacement (defect 13)', async () => {
    const dir = tempDir();
    const audit = await open(join(dir, 'audit.db'));
    await audit.exec("CREATE TABLE log (msg TEXT); INSERT INTO log VALUES ('from audit')");
    await audit.close();
    const pool = await poolTemp({ minReaders: 2, maxReaders: 2, init: [`ATTACH '${join(dir, 'audit.db')}' AS audit`] });
    await pool.function('die', { module: FUNCTIONS, export: 'die' });
    const reads = await Promise.all(Array.from({ length: 8 }, () => pool.get<{ msg: string }>('SELECT msg FROM audit.log')));
    expect(reads.every((r) => r?.msg === 'from audit')).toBe(true);
    expect(pool.stats().readers.total).toBe(2);
    // A reader dies and is replaced: its replacement attaches the database again.
    await pool.get('SELECT die()').catch(() => undefined);
    const after = await Promise.all(Array.from({ length: 8 }, () => pool.get<{ msg: string }>('SELECT msg FROM audit.log')));
    expect(after.every((r) => r?.msg === 'from audit')).toBe(true);
    // The writer has it too, read-write.
    await pool.run("INSERT INTO audit.log VALUES ('from the writer')");
    expect(await pool.get('SELECT count(*) AS n FROM audit.log')).toEqual({ n: 2 });
    onCleanup(() => undefined);
  });
});
