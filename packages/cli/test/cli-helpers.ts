import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from '@rapsqlite/engine';
import { later, tempDir } from './helpers.ts';

export const BIN = fileURLToPath(new URL('../bin/rapsqlite.js', import.meta.url));

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables to set in a child's environment; `undefined` removes one. */
export type Env = Record<string, string | undefined>;

/** The test's environment without the colour switches a test runner may set, with `env` applied. */
function environment(env: Env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  delete out['FORCE_COLOR'];
  delete out['NO_COLOR'];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** Runs the real binary as a child process (the Node running the tests), without a terminal; `env` is added to the environment. */
export function rapsqlite(args: readonly string[], cwd: string, env: Env = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 16 * 1024 * 1024, env: environment(env) }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** A running binary: the child (its stdin, stdout and stderr are pipes) and what it ends with. */
export interface Running {
  readonly child: ChildProcess;
  /** Resolves when the process has ended: its exit code (`null` when a signal ended it), signal, stdout and stderr. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the real binary without a terminal and without waiting for it; the test ends it if it is still running. */
export function startRapsqlite(args: readonly string[], cwd: string, env: Env = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  later(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done };
}

/** Polls `condition` every few milliseconds until it holds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Runs the binary under a pseudo-terminal (util-linux `script`), returning what the terminal showed. */
export function rapsqliteInTerminal(args: readonly string[], cwd: string, env: Env = {}): Promise<RunResult> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qfec', command, '/dev/null'], { cwd, env: environment({ COLUMNS: '100', TERM: 'xterm', ...env }) }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/**
 * Runs the binary under a pseudo-terminal and types Ctrl-C into it once `when` holds for what the terminal shows: the
 * terminal turns it into SIGINT for the program, as for a person at the keyboard.
 */
export function rapsqliteCtrlC(args: readonly string[], cwd: string, when: (screen: string) => boolean, env: Env = {}): Promise<RunResult & { typed: boolean }> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: environment({ COLUMNS: '100', TERM: 'xterm', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  later(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    if (!typed && when(stdout)) {
      typed = true;
      child.stdin.write('\u0003');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr, typed })));
}

/**
 * A child process holding a write transaction on `path` until the test ends; `exclusive`: an exclusive lock in the
 * rollback-journal mode, which keeps readers out too.
 */
export async function holdLock(path: string, exclusive = false): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./processes/hold-lock.ts', import.meta.url)), exclusive ? [path, 'exclusive'] : [path], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  later(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

/** A child process writing to `path` (an insert into `ticks` about every millisecond) until the test ends. */
export async function startWriter(path: string): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./processes/writer.ts', import.meta.url)), [path], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  later(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
  return child;
}

/** A database of about 24 MiB (6000 rows of 4000 random bytes) in `dir`, in WAL mode. */
export async function bigDb(dir: string, name = 'big.db', rows = 6000): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path);
  await handle.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, body BLOB NOT NULL); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO big (body) SELECT randomblob(4000) FROM n;`);
  await handle.close();
  return path;
}

/** A small shop database (users, orders, an index, a view; a 64-bit integer, a blob, text with quotes). */
export const SHOP = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INTEGER);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), note TEXT, data BLOB);
CREATE INDEX orders_user ON orders (user_id);
CREATE VIEW big_spenders AS SELECT email FROM users WHERE balance > 100;
INSERT INTO users VALUES (1, 'ada@example.com', 9223372036854775807), (2, 'grace@example.com', 5);
INSERT INTO orders VALUES (1, 1, 'first, "quoted"', x'00ff'), (2, 2, NULL, NULL), (3, 1, 'third', NULL);`;

export async function shop(): Promise<{ dir: string; db: string }> {
  const dir = tempDir();
  const db = join(dir, 'shop.db');
  const handle = await open(db);
  await handle.exec(SHOP);
  await handle.close();
  return { dir, db };
}

