import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { rapsqlite, shop } from './cli-helpers.ts';

describe('diff, check, query, bench, vacuum, optimize', () => {
  it('diff prints the SQL between a database and a schema file; --exit-code gives 5 when they differ', async () => {
    const { dir, db } = await shop();
    writeFileSync(join(dir, 'target.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INTEGER, verified INTEGER NOT NULL DEFAULT 0);');
    const out = await rapsqlite(['diff', db, 'target.sql'], dir);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('ALTER TABLE "users" ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;');
    expect(out.stdout).toContain('DROP TABLE "orders";');
    expect((await rapsqlite(['diff', db, 'target.sql', '--exit-code'], dir)).code).toBe(5);
    expect((await rapsqlite(['diff', db, db, '--exit-code'], dir)).stdout).toBe('-- the schemas are the same\n');
    const json = JSON.parse((await rapsqlite(['diff', db, 'target.sql', '--json'], dir)).stdout) as { warnings: string[] };
    expect(json.warnings).toContain('Table orders is dropped with its rows.');
  });

  it('check passes a sound database and fails with exit 5 on foreign-key violations and schema differences', async () => {
    const { dir, db } = await shop();
    const ok = await rapsqlite(['check', db], dir);
    expect(ok).toMatchObject({ code: 0, stdout: 'integrity: ok\nforeign keys: ok\n' });
    const handle = await open(db, { foreignKeys: false });
    await handle.run('INSERT INTO orders (user_id) VALUES (99)');
    await handle.close();
    const bad = await rapsqlite(['check', db], dir);
    expect(bad.code).toBe(5);
    expect(bad.stdout).toContain('foreign keys: 1 violation(s)\n  orders rowid 4 → users');
    writeFileSync(join(dir, 'expected.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INTEGER);');
    const schema = await rapsqlite(['check', db, '--schema', 'expected.sql', '--json'], dir);
    expect(schema.code).toBe(5);
    expect((JSON.parse(schema.stdout) as { schema: { kind: string }[] }).schema.map((d) => d.kind)).toEqual(['extra-table', 'extra-view']);
  });

  it('query prints a table, exact JSON and CSV, and changes nothing without --write', async () => {
    const { dir, db } = await shop();
    const table = await rapsqlite(['query', db, 'SELECT id, email, balance FROM users ORDER BY id'], dir);
    expect(table.stdout).toBe('id  email              balance\n--  -----------------  -------------------\n1   ada@example.com    9223372036854775807\n2   grace@example.com  5\n');
    expect(table.stderr).toBe('2 row(s)\n');
    const json = await rapsqlite(['query', db, 'SELECT balance, data FROM users JOIN orders ON orders.user_id = users.id WHERE orders.id = ?', '--json', '-p', '1'], dir);
    expect(json.stdout).toBe('[\n  {\n    "balance": 9223372036854775807,\n    "data": "00ff"\n  }\n]\n');
    const csv = await rapsqlite(['query', db, 'SELECT id, note FROM orders ORDER BY id', '--csv'], dir);
    expect(csv.stdout).toBe('id,note\r\n1,"first, ""quoted"""\r\n2,\r\n3,third\r\n');
    const readOnly = await rapsqlite(['query', db, 'DELETE FROM orders'], dir);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain('[SQLITE_READONLY]');
    const write = await rapsqlite(['query', db, 'DELETE FROM orders WHERE id = 3', '--write'], dir);
    expect(write).toMatchObject({ code: 0, stdout: '1 row(s) changed\n' });
    const syntax = await rapsqlite(['query', db, 'SELEC 1'], dir);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toContain('[SQLITE_ERROR]');
  });

  it('bench reports reads on the file and writes on a copy, leaving the file as it was', async () => {
    const { dir, db } = await shop();
    const before = JSON.parse((await rapsqlite(['schema', db, '--json'], dir)).stdout) as unknown;
    const { code, stdout, stderr } = await rapsqlite(['bench', db, '--seconds', '0.2', '--json'], dir);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const phases = (JSON.parse(stdout) as { phases: { name: string; operations: number; perSecond: number }[] }).phases;
    expect(phases.map((p) => p.name)).toEqual(['point get on orders', '32 point gets in flight', 'scan of orders', 'insert, autocommit (copy)', '100 inserts per transaction (copy)']);
    for (const p of phases) expect(p.operations).toBeGreaterThan(0);
    expect(JSON.parse((await rapsqlite(['schema', db, '--json'], dir)).stdout)).toEqual(before);
  }, 60_000);

  it('vacuum shrinks the file; optimize runs', async () => {
    const { dir, db } = await shop();
    const handle = await open(db);
    await handle.exec("CREATE TABLE junk (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO junk SELECT randomblob(2000) FROM n; DROP TABLE junk; PRAGMA wal_checkpoint(TRUNCATE);");
    await handle.close();
    const size = statSync(db).size;
    const vacuum = await rapsqlite(['vacuum', db], dir);
    expect(vacuum.code).toBe(0);
    expect(vacuum.stdout).toMatch(/^vacuumed: .* → .*\n$/);
    expect(statSync(db).size).toBeLessThan(size);
    expect(await rapsqlite(['optimize', db], dir)).toMatchObject({ code: 0, stdout: 'optimized\n' });
  });
});
