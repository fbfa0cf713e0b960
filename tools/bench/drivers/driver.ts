import type { WriteRow } from '../schema.ts';

/** A value now (blocking drivers) or later (asynchronous ones). Workloads only `await` real promises. */
export type MaybePromise<T> = T | Promise<T>;

/** True when `value` is a promise: the workloads await only then, so blocking drivers pay no microtask per call. */
export function isPromise(value: unknown): value is Promise<unknown> {
  return value instanceof Promise;
}

/**
 * One open database of one driver, with its statements prepared once. Every method does one workload step the
 * way a careful user of that driver would write it; the SQL is shared (see `SQL` in `schema.ts`).
 */
export interface DriverConnection {
  /** Point lookup by primary key, through a statement prepared once. */
  getById(id: number): MaybePromise<unknown>;
  /** Issues a point lookup for every id at once, then waits for them all (blocking drivers simply loop). */
  getManyInFlight(ids: readonly number[]): MaybePromise<void>;
  /** All rows with `from <= id <= to`, as an array. */
  range(from: number, to: number): MaybePromise<readonly unknown[]>;
  /** The CPU-heavy aggregate over `from..to`. */
  cpuAggregate(from: number, to: number): MaybePromise<unknown>;
  /** The long recursive query that counts to `n`. */
  longQuery(n: number): MaybePromise<unknown>;
  /**
   * Streams every row of the `stream` table to `onRow` and returns the row count, or is absent when the driver
   * has no streaming API.
   */
  readonly iterate?: (onRow: (row: unknown) => void) => MaybePromise<number>;
  /** One autocommit insert. */
  insert(row: WriteRow): MaybePromise<void>;
  /** Opens a write transaction, awaits one insert per row inside it, and commits. */
  insertEachInTransaction(rows: readonly WriteRow[]): MaybePromise<void>;
  /** Inserts every row through the driver's batch API, in one transaction. */
  insertBatch(rows: readonly WriteRow[]): MaybePromise<void>;
  /**
   * Ends any read the driver leaves open between calls, outside any timing; absent when it leaves none. The runner
   * calls it after every round. node-sqlite3 needs it: a statement stays active after `get()` until it is reset, so
   * its connection keeps a read transaction, its WAL cannot be checkpointed, and the next workload's writes would
   * skip the checkpoints that every other driver pays for (see "Caveats" in docs/benchmarks.md).
   */
  readonly quiesce?: () => MaybePromise<void>;
  /** Runs SQL outside any timing (setup, cleanup). */
  exec(sql: string): MaybePromise<void>;
  /** The first column of the first row of `sql`, outside any timing. */
  scalar(sql: string): MaybePromise<unknown>;
  /** Closes the database. */
  close(): MaybePromise<void>;
}

/** A loaded driver, ready to open connections. */
export interface LoadedDriver {
  /** The driver package's version. */
  readonly version: string;
  /** Other versions worth printing (the SQLite inside comes from the connection). */
  readonly details?: Readonly<Record<string, string>>;
  /** Opens `file` (which already holds the schema and data) with WAL and `synchronous = NORMAL`. */
  open(file: string): Promise<DriverConnection>;
}

/** How a driver runs SQLite relative to the JavaScript thread that calls it. */
export const DRIVER_KINDS = ['worker-thread', 'thread-pool', 'blocking', 'promise-over-blocking'] as const;

/** One of {@link DRIVER_KINDS}. */
export type DriverKind = (typeof DRIVER_KINDS)[number];

/** One entry of the driver list. Adding a driver to the benchmark is adding one of these. */
export interface DriverEntry {
  /** The name used by `--drivers` and in results. */
  readonly id: string;
  /** The name shown in tables and charts. */
  readonly label: string;
  /** Where it runs SQLite, as read from its source; the loop probe checks it independently. */
  readonly kind: DriverKind;
  /** True for drivers whose results are the subject of the benchmark (their ratios against peers are printed). */
  readonly subject: boolean;
  /** Loads the driver, or throws a {@link DriverUnavailable} whose message says why it is skipped. */
  load(context: LoadContext): Promise<LoadedDriver>;
}

/** What drivers may need while loading. */
export interface LoadContext {
  /** Loads a peer package from `tools/bench/.peers`, installing the peers first when allowed. */
  requirePeer(name: string): Promise<unknown>;
  /** The version of a peer package as installed. */
  peerVersion(name: string): Promise<string>;
}

/** Thrown by {@link DriverEntry.load} when a driver cannot run here; the message is printed as the reason. */
export class DriverUnavailable extends Error {
  override readonly name = 'DriverUnavailable';
}
