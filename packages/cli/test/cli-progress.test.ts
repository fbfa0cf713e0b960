import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bigDb, rapsqlite, rapsqliteInTerminal, shop } from './cli-helpers.ts';
import { tempDir, writeFiles } from './helpers.ts';

describe('progress bars', () => {
  it('draws one on a terminal and none when the output is not a terminal', async () => {
    const dir = tempDir();
    writeFiles(join(dir, 'migrations'), { '1_a.sql': 'CREATE TABLE a (x);', '2_b.sql': 'CREATE TABLE b (x);' });
    const terminal = await rapsqliteInTerminal(['migrate', 'up', 'tty.db'], dir);
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toMatch(/[█░]+ 2\/2 2_b/);
    expect(terminal.stdout).toContain('applied 2_b');
    const plain = await rapsqlite(['migrate', 'up', 'plain.db'], dir);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).not.toMatch(/[█░]/);
    const noBar = await rapsqliteInTerminal(['migrate', 'down', 'tty.db', '--no-progress'], dir);
    expect(noBar.stdout).not.toMatch(/[█░]/);
  }, 60_000);

  it('draws the bench bar on a terminal only', async () => {
    const { dir, db } = await shop();
    const terminal = await rapsqliteInTerminal(['bench', db, '--seconds', '0.2'], dir);
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toMatch(/[█░]+ 5\/5 done/);
    const plain = await rapsqlite(['bench', db, '--seconds', '0.2'], dir);
    expect(plain.stderr).toBe('');
  }, 60_000);

  it('draws backup, dump and restore bars on a terminal, none through pipes, with --json or --no-progress', async () => {
    const { dir } = await shop();
    await bigDb(dir, 'big.db', 1500);
    const [backup, dump] = await Promise.all([
      rapsqliteInTerminal(['backup', 'big.db', 'tty-copy.db'], dir),
      rapsqliteInTerminal(['dump', 'big.db', '--out', 'tty.sql'], dir),
    ]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/█+ 5\.9 MiB\/5\.9 MiB tty-copy\.db/);
    expect(backup.stdout).toContain('backed up big.db to tty-copy.db');
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/█+ 1500\/1500 big/);
    const restore = await rapsqliteInTerminal(['restore', 'tty.sql', 'tty-restored.db'], dir);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/█+ (\d+\.\d MiB)\/\1 /);

    const plain = await Promise.all([
      rapsqlite(['backup', 'big.db', 'plain-copy.db'], dir),
      rapsqlite(['dump', 'big.db', '--out', 'plain.sql'], dir),
      rapsqlite(['restore', 'tty.sql', 'plain-restored.db'], dir),
    ]);
    for (const run of plain) {
      expect(run.code).toBe(0);
      for (const text of [run.stderr, run.stdout]) {
        expect(text).not.toMatch(/[█░\r]/);
        expect(text).not.toContain('\u001b');
      }
    }
    expect(plain[1]!.stderr).toMatch(/^wrote plain\.sql: [\d.]+ MiB\n$/);

    const quiet = await Promise.all([
      rapsqliteInTerminal(['backup', 'big.db', 'json-copy.db', '--json'], dir),
      rapsqliteInTerminal(['backup', 'big.db', 'quiet-copy.db', '--no-progress'], dir),
      rapsqliteInTerminal(['restore', 'tty.sql', 'quiet.db', '--no-progress'], dir),
      // The SQL goes to the terminal: no bar drawn over it.
      rapsqliteInTerminal(['dump', 'shop.db'], dir),
    ]);
    for (const run of quiet) {
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/[█░]/);
    }
    expect(quiet[3]!.stdout).toContain('CREATE TABLE users');
  }, 60_000);
});
