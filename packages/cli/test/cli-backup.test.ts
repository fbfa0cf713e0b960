import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { bigDb, holdLock, rapsqlite, shop, startWriter } from './cli-helpers.ts';

describe('backup', () => {
  it('copies a database another process keeps writing to: a consistent copy that passes integrity_check', async () => {
    const { dir } = await shop();
    const path = await bigDb(dir, 'busy.db', 1500);
    await startWriter(path);
    const { code, stdout, stderr } = await rapsqlite(['backup', 'busy.db', 'copy.db', '--json', '--pages-per-step', '10'], dir);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const result = JSON.parse(stdout) as { totalPages: number; bytes: number; steps: number; destination: string };
    expect(result.destination).toBe(join(dir, 'copy.db'));
    expect(result.bytes).toBe(result.totalPages * 4096);
    expect(result.steps).toBeGreaterThan(1);
    const source = await open(path, { readonly: true });
    const copy = await open(join(dir, 'copy.db'), { readonly: true });
    try {
      expect(await copy.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(await copy.get('SELECT count(*) AS n FROM big')).toEqual({ n: 1500 });
      // A snapshot: the writer's rows up to some commit, none missing in between, and no more than the source has.
      const ticks = (await copy.get<{ n: number; max: number | null }>('SELECT count(*) AS n, max(id) AS max FROM ticks'))!;
      expect(ticks.n).toBeGreaterThan(0);
      expect(ticks.max).toBe(ticks.n);
      expect(ticks.n).toBeLessThanOrEqual((await source.get<{ n: number }>('SELECT count(*) AS n FROM ticks'))!.n);
    } finally {
      await copy.close();
      await source.close();
    }
  }, 60_000);

  it('prints a summary, refuses to overwrite without --force, and reports bad input with its exit code', async () => {
    const { dir, db } = await shop();
    const first = await rapsqlite(['backup', 'shop.db', 'copy.db'], dir);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^backed up shop\.db to copy\.db: 20\.0 KiB, 5 pages in \d+ step\(s\)\n$/);
    const copy = readFileSync(join(dir, 'copy.db'));
    writeFileSync(join(dir, 'notes.txt'), 'not a database');
    const before = readdirSync(dir).sort();
    const cases: Array<[string[], number, RegExp]> = [
      [['backup', 'shop.db', 'copy.db'], 6, /The destination .*copy\.db exists; pass --force to replace it\. \[ERR_RAPSQLITE_CLI_EXISTS\]/],
      [['backup', 'shop.db', 'shop.db'], 2, /The destination is the database itself\. \[ERR_RAPSQLITE_INVALID_ARGUMENT\]/],
      [['backup', 'missing.db', 'x.db'], 3, /No such database file: .*\[ENOENT\]/],
      [['backup', 'shop.db', 'no-folder/x.db'], 3, /No such folder: .*\[ENOENT\]/],
      [['backup', 'shop.db', '.'], 2, /is a folder; name a file\. \[ERR_RAPSQLITE_INVALID_ARGUMENT\]/],
      [['backup', 'shop.db', 'x.db', '--pages-per-step', '0'], 2, /--pages-per-step must be a positive integer or 'all'/],
      [['backup', 'shop.db', 'notes.txt', '--force'], 1, /\[SQLITE_NOTADB\]/],
      [['backup', 'notes.txt', 'x.db'], 1, /notes\.txt is not an SQLite database\. \[SQLITE_NOTADB\]/],
    ];
    const results = await Promise.all(cases.map(([args]) => rapsqlite(args, dir)));
    results.forEach((result, i) => {
      const [args, code, message] = cases[i]!;
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout, args.join(' ')).toBe('');
    });
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'copy.db')).equals(copy)).toBe(true);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('not a database');

    // --force replaces the copy with the database as it is now; 'all' copies in one step.
    const handle = await open(db);
    await handle.run("INSERT INTO users (email) VALUES ('new@example.com')");
    await handle.close();
    const again = await rapsqlite(['backup', 'shop.db', 'copy.db', '--force', '--pages-per-step', 'all', '--json'], dir);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { steps: number }).steps).toBeLessThanOrEqual(2);
    const replaced = await open(join(dir, 'copy.db'), { readonly: true });
    expect(await replaced.get('SELECT count(*) AS n FROM users')).toEqual({ n: 3 });
    await replaced.close();
  }, 60_000);

  it('waits for a destination another process holds locked, then gives up with exit 4 and leaves it as it was', async () => {
    const { dir } = await shop();
    expect((await rapsqlite(['backup', 'shop.db', 'held.db'], dir)).code).toBe(0);
    await holdLock(join(dir, 'held.db'), true);
    const held = readFileSync(join(dir, 'held.db'));
    const { code, stderr, stdout } = await rapsqlite(['backup', 'shop.db', 'held.db', '--force', '--busy-timeout', '300'], dir);
    expect(code).toBe(4);
    expect(stderr).toMatch(/The destination held\.db stayed locked by another connection; nothing was written to it\. \[SQLITE_BUSY\]/);
    expect(stdout).toBe('');
    expect(readFileSync(join(dir, 'held.db')).equals(held)).toBe(true);
  }, 60_000);
});
