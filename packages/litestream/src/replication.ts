import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RapsqliteError } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { LitestreamErrorCodes } from './errors.ts';
import { atOrPast, parseMetrics, type LitestreamMetrics, type WalPosition } from './metrics.ts';
import { checkReplica, duration, findBinary, replicaYaml, type LitestreamOptions, type LitestreamReplica } from './options.ts';

/** How far the replica is behind the database, as last measured. */
export interface LitestreamLag {
  readonly at: Date;
  /** Where Litestream has captured the WAL, and where the replica has reached. */
  readonly local: WalPosition | undefined;
  readonly replica: WalPosition | undefined;
  /** The replica has not reached everything Litestream captured. */
  readonly behind: boolean;
  /** Bytes of WAL captured and not yet on the replica, when both are in the same WAL index (else undefined). */
  readonly behindBytes: number | undefined;
  /** How long the replica has been behind without catching up; 0 when it is not. */
  readonly behindMs: number;
  readonly syncs: number;
  readonly syncErrors: number;
}

/** The state of a replication, for health checks. */
export interface LitestreamStats {
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Times Litestream was started again after exiting on its own. */
  readonly restarts: number;
  /** The last error Litestream logged (or its exit), if any. */
  readonly lastError: string | undefined;
  readonly lag: LitestreamLag | undefined;
}

/** Events of a {@link Litestream}: `lag` after each measurement, `exit` when the process ended on its own, `restart`, and `log` for each line it wrote. */
export interface LitestreamEvents {
  lag: LitestreamLag;
  exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null };
  restart: { readonly attempt: number };
  log: { readonly level: string; readonly line: string };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** Processes this module started and has not seen exit: ended with their parent, since they are not waited for. */
const children = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const running of children) running.kill('SIGTERM');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A running `litestream replicate` for one database: it streams the WAL to the replica, is started again if it
 * exits, and reports how far the replica is behind. Made by {@link replicate}; stop it with `stop()` (or
 * `await using`) after closing the database.
 */
export class Litestream implements AsyncDisposable {
  /** The database file replicated. */
  readonly path: string;
  readonly replica: LitestreamReplica;
  readonly #binary: string;
  readonly #configDir: string;
  readonly #configPath: string;
  readonly #metricsUrl: string;
  readonly #restart: boolean;
  #child: ChildProcess | undefined;
  #stopping: Promise<void> | undefined;
  #restarts = 0;
  #lastError: string | undefined;
  #lag: LitestreamLag | undefined;
  #behindSince: number | undefined;
  #poller: ReturnType<typeof setInterval> | undefined;
  readonly #listeners = new Map<keyof LitestreamEvents, Set<(payload: never) => void>>();

  private constructor(path: string, replica: LitestreamReplica, binary: string, configDir: string, metricsUrl: string, restart: boolean) {
    this.path = path;
    this.replica = replica;
    this.#binary = binary;
    this.#configDir = configDir;
    this.#configPath = join(configDir, 'litestream.yml');
    this.#metricsUrl = metricsUrl;
    this.#restart = restart;
  }

  /** @internal Use {@link replicate}. */
  static async start(path: string, options: LitestreamOptions): Promise<Litestream> {
    const replica = checkReplica(options.replica);
    const binary = findBinary(options.binary);
    const dbExtra: Record<string, string> = {};
    if (options.monitorIntervalMs !== undefined) dbExtra['monitor-interval'] = duration('monitorIntervalMs', options.monitorIntervalMs);
    const replicaExtra: Record<string, string> = {};
    if (options.syncIntervalMs !== undefined) replicaExtra['sync-interval'] = duration('syncIntervalMs', options.syncIntervalMs);
    if (options.snapshotIntervalMs !== undefined) replicaExtra['snapshot-interval'] = duration('snapshotIntervalMs', options.snapshotIntervalMs);
    if (options.retentionMs !== undefined) replicaExtra['retention'] = duration('retentionMs', options.retentionMs);
    const lagIntervalMs = options.lagIntervalMs ?? 1000;
    if (typeof lagIntervalMs !== 'number' || lagIntervalMs < 0) throw invalidArgument('lagIntervalMs must be 0 or more');
    const port = await freePort();
    const configDir = await mkdtemp(join(tmpdir(), 'rapsqlite-litestream-'));
    const config =
      `addr: ${JSON.stringify(`127.0.0.1:${port}`)}\n` +
      'dbs:\n' +
      `  - path: ${JSON.stringify(path)}\n` +
      Object.entries(dbExtra).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join('') +
      '    replicas:\n' +
      replicaYaml(replica, '      ', replicaExtra);
    await writeFile(join(configDir, 'litestream.yml'), config, { mode: 0o600 });
    const litestream = new Litestream(path, replica, binary, configDir, `http://127.0.0.1:${port}/metrics`, options.restart ?? true);
    try {
      await litestream.#spawn();
      await litestream.#ready();
    } catch (err) {
      await litestream.stop();
      throw err;
    }
    if (lagIntervalMs > 0) {
      litestream.#poller = setInterval(() => void litestream.lag().catch(() => undefined), lagIntervalMs);
      litestream.#poller.unref();
    }
    return litestream;
  }

  #spawn(): Promise<void> {
    return new Promise((resolveSpawn, reject) => {
      const child = spawn(this.#binary, ['replicate', '-config', this.#configPath, '-no-expand-env'], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#child = child;
      track(child);
      let pending = '';
      const onData = (chunk: Buffer): void => {
        pending += chunk.toString();
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          const level = /\blevel=(\w+)/.exec(line)?.[1] ?? 'INFO';
          if (level === 'ERROR') this.#lastError = line;
          this.#emit('log', { level, line });
          newline = pending.indexOf('\n');
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('spawn', () => resolveSpawn());
      child.once('error', (err) => reject(new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream could not start: ${err.message}`, { cause: err })));
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined;
        if (this.#stopping !== undefined) return;
        this.#lastError = `litestream exited (code ${String(code)}, signal ${String(signal)})${this.#lastError === undefined ? '' : `: ${this.#lastError}`}`;
        this.#emit('exit', { code, signal });
        if (this.#restart) void this.#restartLater();
      });
      child.unref();
      (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    });
  }

  async #restartLater(): Promise<void> {
    const attempt = ++this.#restarts;
    await sleep(Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5)));
    if (this.#stopping !== undefined || this.#child !== undefined) return;
    try {
      await this.#spawn();
      await this.#ready();
      this.#emit('restart', { attempt });
    } catch (err) {
      this.#lastError = (err as Error).message;
    }
  }

  /** Waits until Litestream serves its metrics and knows the database. */
  async #ready(): Promise<void> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      if (this.#child === undefined) throw new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream exited at start: ${this.#lastError ?? 'no message'}`);
      const metrics = await this.#metrics().catch(() => undefined);
      if (metrics?.local !== undefined) return;
      if (performance.now() > deadline) throw new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream did not start replicating within 15 s: ${this.#lastError ?? 'no message'}`);
      await sleep(50);
    }
  }

  async #metrics(): Promise<LitestreamMetrics> {
    const response = await fetch(this.#metricsUrl, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) throw new RapsqliteError(LitestreamErrorCodes.FAILED, `litestream's metrics answered ${response.status}`);
    return parseMetrics(await response.text(), this.path);
  }

  /** Measures the lag now (and sends the `lag` event). */
  async lag(): Promise<LitestreamLag> {
    const metrics = await this.#metrics();
    const behind = !atOrPast(metrics.replica, metrics.local);
    const now = performance.now();
    if (!behind) this.#behindSince = undefined;
    else this.#behindSince ??= now;
    const local = metrics.local;
    const replica = metrics.replica;
    const lag: LitestreamLag = Object.freeze({
      at: new Date(),
      local,
      replica,
      behind,
      behindBytes: local !== undefined && replica !== undefined && local.index === replica.index ? Math.max(0, local.offset - replica.offset) : undefined,
      behindMs: this.#behindSince === undefined ? 0 : now - this.#behindSince,
      syncs: metrics.syncs,
      syncErrors: metrics.syncErrors,
    });
    this.#lag = lag;
    this.#emit('lag', lag);
    return lag;
  }

  /**
   * Resolves once every commit made before the call is on the replica: Litestream has synced the WAL at least once
   * after the call began, and the replica has reached what that captured. Fails with
   * `ERR_RAPSQLITE_LITESTREAM_LAGGING` after `timeoutMs` (default 30 000).
   */
  async caughtUp(timeoutMs = 30_000): Promise<LitestreamLag> {
    const deadline = performance.now() + timeoutMs;
    let start: number | undefined;
    let target: WalPosition | undefined;
    for (;;) {
      // Litestream may be starting again after an exit: its metrics answer once it is up.
      const metrics = await this.#metrics().catch(() => undefined);
      if (metrics === undefined) {
        if (performance.now() > deadline) throw new RapsqliteError(LitestreamErrorCodes.LAGGING, `Litestream did not answer within ${timeoutMs} ms`);
        await sleep(50);
        continue;
      }
      start ??= metrics.syncs;
      // Fewer syncs than at the start: Litestream was started again since, and each of its syncs came later.
      if (metrics.syncs < start) start = -1;
      // A sync already running at the start may have begun before the last commits: wait for one more.
      if (target === undefined && metrics.syncs >= start + 2) target = metrics.local;
      if (target !== undefined && atOrPast(metrics.replica, target)) return this.lag();
      if (performance.now() > deadline) {
        throw new RapsqliteError(LitestreamErrorCodes.LAGGING, `The replica did not catch up within ${timeoutMs} ms${this.#lastError === undefined ? '' : `: ${this.#lastError}`}`);
      }
      await sleep(50);
    }
  }

  stats(): LitestreamStats {
    return Object.freeze({ running: this.#child !== undefined, pid: this.#child?.pid, restarts: this.#restarts, lastError: this.#lastError, lag: this.#lag });
  }

  /** Listens to an event; see {@link LitestreamEvents}. A listener that throws is ignored. */
  on<E extends keyof LitestreamEvents>(event: E, listener: (payload: LitestreamEvents[E]) => void): this {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return this;
  }

  off<E extends keyof LitestreamEvents>(event: E, listener: (payload: LitestreamEvents[E]) => void): this {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
    return this;
  }

  #emit<E extends keyof LitestreamEvents>(event: E, payload: LitestreamEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (p: LitestreamEvents[E]) => void)(payload);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** Stops Litestream (it ships what it has captured as it shuts down) and removes its configuration. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#poller !== undefined) clearInterval(this.#poller);
      const child = this.#child;
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      this.#child = undefined;
      await rm(this.#configDir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts `litestream replicate` for a database — a path, or a handle with a `path` (a pool, a database) — beside
 * the application, with a file or S3-compatible replica. The database must be in WAL mode (a pool is).
 *
 * @example
 * ```ts
 * import { createPool } from '@rapsqlite/pool';
 * import { replicate, restore } from '@rapsqlite/litestream';
 *
 * const pool = await createPool('app.db');
 * const replication = await replicate(pool, { replica: { type: 's3', bucket: 'backups', path: 'app' } });
 * replication.on('lag', (lag) => lag.behindMs > 10_000 && console.warn('replica behind', lag));
 * // … at shutdown
 * await pool.close();
 * await replication.stop();
 * // … on a new machine
 * await restore('app.db', { replica: { type: 's3', bucket: 'backups', path: 'app' } });
 * ```
 */
export function replicate(database: string | { readonly path: string }, options: LitestreamOptions): Promise<Litestream> {
  if (typeof options !== 'object' || options === null) return Promise.reject(invalidArgument('replicate() needs options with a replica'));
  const path = typeof database === 'string' ? database : database?.path;
  if (typeof path !== 'string' || path === '' || path === ':memory:' || path.startsWith('file:')) {
    return Promise.reject(invalidArgument('replicate() takes the path of a database file (or a handle on one)'));
  }
  try {
    return Litestream.start(resolve(path), Object.freeze({ ...options }));
  } catch (err) {
    return Promise.reject(err);
  }
}
