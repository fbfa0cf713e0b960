import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { bigDb, rapsqlite, rapsqliteCtrlC, shop, startRapsqlite, startWriter, waitFor } from './cli-helpers.ts';
import { tempDir } from './helpers.ts';

/** The files of `dir` whose names start with `prefix` (a database with its -wal, -shm and -journal). */
const filesOf = (dir: string, prefix: string) => readdirSync(dir).filter((name) => name.startsWith(prefix) || name.startsWith(`.${prefix}`));

let dump: Promise<string> | undefined;

/** A dump of a big database, made once for the tests that restore it. */
function bigDump(): Promise<string> {
  dump ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-cli-dump-'));
    await bigDb(dir);
    const { code } = await rapsqlite(['dump', 'big.db', '--out', 'big.sql'], dir);
    if (code !== 0) throw new Error(`dump exited with ${code}`);
    return join(dir, 'big.sql');
  })();
  return dump;
}

afterAll(async () => {
  if (dump !== undefined) rmSync(dirname(await dump), { recursive: true, force: true });
});

// Ctrl-C in a terminal sends SIGINT to the process; these tests send it to the real binary while it works.
describe('Ctrl-C (SIGINT) stops long work cleanly with exit 130 and leaves no partial file', () => {
  it('dump --out: no dump file and no temporary file', async () => {
    const dir = tempDir();
    await bigDb(dir);
    const run = startRapsqlite(['dump', 'big.db', '--out', 'big.sql'], dir);
    // The dump writes a temporary file next to big.sql and renames it when complete.
    await waitFor(() => filesOf(dir, 'big.sql').length > 0, 20_000, 'the temporary dump file');
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; no dump file was written. [ERR_RAPSQLITE_ABORTED]\n');
    expect(filesOf(dir, 'big.sql')).toEqual([]);
  }, 60_000);

  it('dump to stdout: stops while the reader is slow, the text ends unfinished', async () => {
    const dir = tempDir();
    await bigDb(dir);
    const run = startRapsqlite(['dump', 'big.db'], dir);
    const stdout = run.child.stdout!;
    // Stop reading: the pipe fills and the dump waits for it.
    await new Promise<void>((resolve) => stdout.once('data', () => resolve()));
    stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    run.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    stdout.resume();
    const { code, stderr, stdout: text } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; the dump on stdout is incomplete. [ERR_RAPSQLITE_ABORTED]\n');
    expect(text.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n')).toBe(true);
    expect(text).not.toContain('COMMIT;');
    // What was written is refused by restore, which restores nothing from a dump cut short.
    writeFileSync(join(dir, 'cut.sql'), text);
    const restore = await rapsqlite(['restore', 'cut.sql', 'cut.db'], dir);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/does not end with COMMIT: it was cut short\. Nothing was restored\. \[ERR_RAPSQLITE_CLI_DUMP_CUT_SHORT\]\n$/);
    expect(filesOf(dir, 'cut.db')).toEqual([]);
  }, 60_000);

  it('restore from a file: the new database is removed', async () => {
    const dir = tempDir();
    copyFileSync(await bigDump(), join(dir, 'big.sql'));
    const run = startRapsqlite(['restore', 'big.sql', 'copy.db'], dir);
    await waitFor(() => existsSync(join(dir, 'copy.db')), 20_000, 'the database being restored');
    run.child.kill('SIGINT');
    const { code, stderr, stdout } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; nothing was restored and the new database was removed. [ERR_RAPSQLITE_ABORTED]\n');
    expect(stdout).toBe('');
    expect(filesOf(dir, 'copy.db')).toEqual([]);
  }, 60_000);

  it('restore --force into a database with tables: rolled back, the database as it was', async () => {
    const dir = tempDir();
    copyFileSync(await bigDump(), join(dir, 'big.sql'));
    const target = join(dir, 'target.db');
    const db = await open(target);
    await db.exec("CREATE TABLE keep (x); INSERT INTO keep VALUES ('kept')");
    await db.close();
    const run = startRapsqlite(['restore', 'big.sql', 'target.db', '--force'], dir);
    // The restore's writable connection opens the WAL file.
    await waitFor(() => existsSync(`${target}-wal`), 20_000, 'the restore to open the database');
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; nothing was restored. [ERR_RAPSQLITE_ABORTED]\n');
    const after = await open(target, { readonly: true });
    expect(await after.all("SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([{ name: 'keep' }]);
    expect(await after.all('SELECT x FROM keep')).toEqual([{ x: 'kept' }]);
    await after.close();
  }, 60_000);

  it('restore from a stdin pipe that has gone quiet: stops at once (SIGTERM too), nothing left', async () => {
    const dir = tempDir();
    const run = startRapsqlite(['restore', '-', 'piped.db'], dir);
    // Half a dump, and the pipe stays open.
    run.child.stdin!.write('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n');
    await waitFor(() => existsSync(join(dir, 'piped.db')), 20_000, 'the database being restored');
    run.child.kill('SIGTERM');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toContain('Interrupted; nothing was restored and the new database was removed.');
    expect(filesOf(dir, 'piped.db')).toEqual([]);
  }, 60_000);

  it('backup to a new file while another process writes: the partial copy is removed', async () => {
    const dir = tempDir();
    const path = await bigDb(dir);
    await startWriter(path);
    // One page per step: thousands of steps, each restarted by the writer's commits.
    const run = startRapsqlite(['backup', 'big.db', 'copy.db', '--pages-per-step', '1'], dir);
    await waitFor(() => existsSync(join(dir, 'copy.db')), 20_000, 'the backup file');
    run.child.kill('SIGINT');
    const { code, stderr, stdout } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; no backup was written. [ERR_RAPSQLITE_ABORTED]\n');
    expect(stdout).toBe('');
    expect(filesOf(dir, 'copy.db')).toEqual([]);
  }, 60_000);

  it('bench: the scratch copy it writes to is removed', async () => {
    const { dir } = await shop();
    const scratch = join(dir, 'tmp');
    mkdirSync(scratch);
    // TMPDIR points the benchmark's scratch folder into the test's folder, where the test can watch it.
    const run = startRapsqlite(['bench', 'shop.db', '--seconds', '30'], dir, { TMPDIR: scratch });
    await waitFor(() => readdirSync(scratch).length > 0, 20_000, 'the scratch folder');
    run.child.kill('SIGINT');
    const { code, stderr, stdout } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toBe('rapsqlite: Interrupted; the benchmark stopped and its scratch copy was removed. [ERR_RAPSQLITE_ABORTED]\n');
    expect(stdout).toBe('');
    expect(readdirSync(scratch)).toEqual([]);
  }, 60_000);

  it('Ctrl-C typed in a terminal: the bar stops, the message follows, nothing is left', async () => {
    const { dir } = await shop();
    const scratch = join(dir, 'tmp');
    mkdirSync(scratch);
    const bench = await rapsqliteCtrlC(['bench', 'shop.db', '--seconds', '30'], dir, (screen) => screen.includes('0/5 point reads'), { TMPDIR: scratch });
    expect(bench.typed).toBe(true);
    expect(bench.code).toBe(130);
    expect(bench.stdout).toMatch(/░+ 0\/5 point reads[^]*\^C[^]*rapsqlite: Interrupted; the benchmark stopped and its scratch copy was removed\. \[ERR_RAPSQLITE_ABORTED\]/);
    expect(readdirSync(scratch)).toEqual([]);

    const path = await bigDb(dir);
    await startWriter(path);
    // Typed as soon as the bar is drawn ("0 B/23.5 MiB copy.db").
    const backup = await rapsqliteCtrlC(['backup', 'big.db', 'copy.db', '--pages-per-step', '1'], dir, (screen) => /MiB copy\.db/.test(screen));
    expect(backup.typed).toBe(true);
    expect(backup.code).toBe(130);
    expect(backup.stdout).toContain('rapsqlite: Interrupted; no backup was written. [ERR_RAPSQLITE_ABORTED]');
    expect(filesOf(dir, 'copy.db')).toEqual([]);
  }, 60_000);
});
