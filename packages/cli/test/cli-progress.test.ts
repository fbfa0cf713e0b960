import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rapsqlite, rapsqliteInTerminal, shop } from './cli-helpers.ts';
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
});
