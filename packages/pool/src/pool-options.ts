import { availableParallelism } from 'node:os';
import type { DatabaseOptions, IterateOptions, Middleware, QueryOptions, TransactionOptions } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** The options passed to every connection of the pool, as the engine's `open()` takes and documents them. */
export const CONNECTION_KEYS = [
  'pragmas',
  'busyTimeoutMs',
  'integers',
  'statementCacheSize',
  'middleware',
  'synchronous',
  'foreignKeys',
  'timeoutMs',
  'authorizer',
  'statementTiming',
  'spinMicros',
  'cancelGraceMs',
  'init',
  'attach',
  'extensions',
  'key',
  'cipher',
  'adapters',
  'converters',
  'rowMode',
] as const;

/** The engine options a pool passes to each of its connections. */
export type PoolConnectionOptions = Pick<DatabaseOptions, (typeof CONNECTION_KEYS)[number]>;

/**
 * Options of {@link createPool}: the engine's connection options (see `open()`), passed to every connection, and
 * the pool's own, which size and tune it. Every option is optional. `readonly` and `journalMode` are the pool's to
 * set: the writer is read-write in WAL mode, readers are read-only.
 */
export interface PoolOptions extends PoolConnectionOptions {
  /** Readers kept open even when idle. Default 1. */
  readonly minReaders?: number;
  /** Readers at most; 0 sends every call to the writer. Default `os.availableParallelism()` (at least `minReaders`). */
  readonly maxReaders?: number;
  /**
   * Calls sent to one connection before it has answered. The default, 16, lets many small queries share each thread
   * hop (the engine batches the calls of one tick); 1 gives every call a connection of its own, so a slow query never
   * delays a fast one queued behind it, at several times the cost per call under load (see docs/pool.md).
   */
  readonly pipelining?: number;
  /** A reader above `minReaders` idle this long is closed. Default 60 000. */
  readonly idleTimeoutMs?: number;
  /** How long a call may wait for a connection before `ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT`. Default 30 000. */
  readonly acquireTimeoutMs?: number;
  /** Calls that may wait for a connection at once (per role); one more fails with `ERR_RAPSQLITE_POOL_QUEUE_FULL`. Default unbounded. */
  readonly maxQueue?: number;
  /**
   * Every read waits until the writes issued before it (by any caller of this pool) have finished, so it sees them.
   * Default false: a read sees every write that had resolved when the read was issued. Overridable per call.
   */
  readonly readYourWrites?: boolean;
  /** Idle connections are checked with `SELECT 1` this often (±10 %), so a dead worker is replaced before a call needs it. 0 (default) disables. */
  readonly keepAliveMs?: number;
  /** `PRAGMA journal_size_limit` on the writer, in bytes: the WAL file is truncated to this size after a checkpoint resets it. Default 64 MiB; -1 for no limit. */
  readonly journalSizeLimit?: number;
  /** A `wal_checkpoint(PASSIVE)` runs on the writer when it is idle and has written since the last one, at most this often. Default 5000; 0 disables. */
  readonly checkpointIntervalMs?: number;
  /** A WAL file above this size that a checkpoint cannot fully copy back signals checkpoint starvation. Default 64 MiB. */
  readonly walStarvationBytes?: number;
  /** How often the pool reaps idle readers, pings, checks the WAL and checkpoints. Default 1000. */
  readonly maintenanceIntervalMs?: number;
  /** SQL strings whose routing (read-only or not) is remembered. Default 1000. */
  readonly routeCacheSize?: number;
  /**
   * A transaction or an `iterate` loop holding its connection longer than this is reported as a probable leak (the
   * `leak` event, with the stack that opened it; a process warning when nobody listens). Capturing the stack costs
   * a few microseconds per transaction and loop. Default 0: off.
   */
  readonly leakDetectionMs?: number;
  /**
   * A connection older than this, minus up to 2.5 % of jitter (so connections opened together are not all retired
   * together), is replaced by a new one once idle: readers are closed and reopened, the writer is opened anew and
   * swapped in. Default 0: never.
   */
  readonly maxLifetimeMs?: number;
}

/** Per-call options of the pool's query methods: the engine's, plus read-your-writes. */
export interface PoolQueryOptions extends QueryOptions {
  /** Overrides the pool's {@link PoolOptions.readYourWrites} for this call. */
  readonly readYourWrites?: boolean;
}

/** Per-call options of the pool's `iterate`. */
export interface PoolIterateOptions extends IterateOptions {
  /** Overrides the pool's {@link PoolOptions.readYourWrites} for this call. */
  readonly readYourWrites?: boolean;
}

/** Options of the pool's `transaction`. */
export interface PoolTransactionOptions extends TransactionOptions {
  /**
   * Runs the transaction on a reader, with `BEGIN DEFERRED`: it sees one consistent snapshot and cannot write
   * (a write fails with `SQLITE_READONLY`). Requires `mode: 'deferred'` or no mode.
   */
  readonly readonly?: boolean;
  /** For a read-only transaction: overrides the pool's {@link PoolOptions.readYourWrites}. */
  readonly readYourWrites?: boolean;
}

/** The options after defaults, frozen. */
export interface ResolvedPoolOptions {
  readonly connection: Omit<PoolConnectionOptions, 'middleware' | 'pragmas'> & { readonly pragmas: readonly string[] };
  readonly middleware: readonly Middleware[];
  readonly minReaders: number;
  readonly maxReaders: number;
  readonly pipelining: number;
  readonly idleTimeoutMs: number;
  readonly acquireTimeoutMs: number;
  readonly maxQueue: number;
  readonly readYourWrites: boolean;
  readonly keepAliveMs: number;
  readonly journalSizeLimit: number;
  readonly checkpointIntervalMs: number;
  readonly walStarvationBytes: number;
  readonly maintenanceIntervalMs: number;
  readonly routeCacheSize: number;
  readonly leakDetectionMs: number;
  readonly maxLifetimeMs: number;
}

const POOL_KEYS = [
  'minReaders',
  'maxReaders',
  'pipelining',
  'idleTimeoutMs',
  'acquireTimeoutMs',
  'maxQueue',
  'readYourWrites',
  'keepAliveMs',
  'journalSizeLimit',
  'checkpointIntervalMs',
  'walStarvationBytes',
  'maintenanceIntervalMs',
  'routeCacheSize',
  'leakDetectionMs',
  'maxLifetimeMs',
] as const;
const KNOWN = new Set<string>([...CONNECTION_KEYS, ...POOL_KEYS]);

function invalid(message: string): never {
  throw invalidArgument(message);
}

function count(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (value === Infinity && name === 'maxQueue') return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) invalid(`Option ${name} must be an integer ≥ ${min}`);
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(`Option ${name} must be a boolean`);
  return value;
}

/** Validates pool options, applies defaults and freezes the result. Connection options are checked again by `open()`. */
export function resolvePoolOptions(options: PoolOptions | undefined): ResolvedPoolOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) invalid('Options must be an object');
  for (const key of Object.keys(options)) {
    if (key === 'readonly' || key === 'journalMode') invalid(`Option "${key}" is set by the pool: the writer is read-write in WAL mode, readers are read-only`);
    if (!KNOWN.has(key)) invalid(`Unknown option "${key}"`);
  }
  const pragmas = options.pragmas ?? [];
  if (!Array.isArray(pragmas) || pragmas.some((p) => typeof p !== 'string')) invalid('Option pragmas must be an array of strings');
  const middleware = options.middleware ?? [];
  if (!Array.isArray(middleware)) invalid('Option middleware must be an array');

  // The pool applies its middleware per handle (`use`, `with`), so it is not among the connection options it stores.
  const connection: Record<string, unknown> = { pragmas: Object.freeze([...pragmas]) };
  for (const key of CONNECTION_KEYS) {
    if (key !== 'pragmas' && key !== 'middleware' && options[key] !== undefined) connection[key] = options[key];
  }

  const minReaders = count('minReaders', options.minReaders, 1);
  const maxReaders = count('maxReaders', options.maxReaders, Math.max(availableParallelism(), minReaders));
  if (maxReaders < minReaders) invalid('Option maxReaders must be ≥ minReaders');
  const journalSizeLimit = options.journalSizeLimit === -1 ? -1 : count('journalSizeLimit', options.journalSizeLimit, 64 * 1024 * 1024);
  return Object.freeze({
    connection: Object.freeze(connection) as ResolvedPoolOptions['connection'],
    middleware: Object.freeze([...middleware]),
    minReaders,
    maxReaders,
    pipelining: count('pipelining', options.pipelining, 16, 1),
    idleTimeoutMs: count('idleTimeoutMs', options.idleTimeoutMs, 60_000),
    acquireTimeoutMs: count('acquireTimeoutMs', options.acquireTimeoutMs, 30_000, 1),
    maxQueue: count('maxQueue', options.maxQueue, Infinity),
    readYourWrites: flag('readYourWrites', options.readYourWrites, false),
    keepAliveMs: count('keepAliveMs', options.keepAliveMs, 0),
    journalSizeLimit,
    checkpointIntervalMs: count('checkpointIntervalMs', options.checkpointIntervalMs, 5000),
    walStarvationBytes: count('walStarvationBytes', options.walStarvationBytes, 64 * 1024 * 1024, 1),
    maintenanceIntervalMs: count('maintenanceIntervalMs', options.maintenanceIntervalMs, 1000, 1),
    routeCacheSize: count('routeCacheSize', options.routeCacheSize, 1000),
    leakDetectionMs: count('leakDetectionMs', options.leakDetectionMs, 0),
    maxLifetimeMs: count('maxLifetimeMs', options.maxLifetimeMs, 0),
  });
}
