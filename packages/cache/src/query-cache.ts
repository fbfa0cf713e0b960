import { AsyncLocalStorage } from 'node:async_hooks';
import type { Execute, Middleware, Operation, OperationOf, Params, Row, Step, TransactionOperation } from '@rapsqlite/engine';
import { createOperation, createPluginReporter, QUERY_KINDS, watchIterator, type PluginReporter } from '@rapsqlite/engine/plugin';
import { isReadOnlySql } from '@rapsqlite/engine/sql';
import { StatementAnalyzer, type Send, type UncacheableReason, type WriteAnalysis } from './analysis.ts';
import { checkTtl, resolveCacheOptions, type CachedReadOptions, type CacheRule, type QueryCacheOptions, type ResolvedCacheOptions } from './cache-options.ts';
import { LruStore, type CacheEntry, type CacheStore } from './lru-store.ts';
import { TableState } from './table-state.ts';
import { copyResult, paramsKey, resultBytes } from './values.ts';

/** The statistics of a cache, as {@link QueryCache.stats} returns them (counters since the cache was made). */
export interface CacheStats {
  /** Reads answered from the cache. */
  readonly hits: number;
  /** Cacheable reads that went to the database (no entry, or a stale or expired one). */
  readonly misses: number;
  /** Results stored. */
  readonly stores: number;
  /** Entries dropped because a committed write (here or in another process) changed what they read. */
  readonly invalidations: number;
  /** Entries dropped because their TTL passed. */
  readonly expirations: number;
  /** Entries the store evicted for room. */
  readonly evictions: number;
  /** Opted-in reads not cached, by reason. */
  readonly bypasses: Readonly<Record<BypassReason, number>>;
  /** Commits of other processes (or connections) detected with `PRAGMA data_version`. */
  readonly foreignChanges: number;
  /** `PRAGMA data_version` round trips. */
  readonly versionChecks: number;
  /** Entries and estimated bytes held now. */
  readonly entries: number;
  readonly bytes: number;
}

/**
 * Whether a call's options change the shape or the values of its result (the engine's query tools: a row mode, pluck,
 * expand, map, converters): such a call is not served from nor stored in the cache, whose entries hold results as the
 * handle returns them by default.
 */
function reshapes(options: object): boolean {
  const o = options as { rowMode?: unknown; pluck?: unknown; expand?: unknown; map?: unknown; converters?: unknown };
  return (o.rowMode !== undefined && o.rowMode !== 'object') || o.pluck === true || o.expand === true || o.map !== undefined || (o.converters !== undefined && o.converters !== false);
}

/** Why an opted-in read was not served from the cache nor stored in it. */
export type BypassReason = UncacheableReason | 'transaction' | 'flux' | 'params' | 'shape' | 'untracked';

const BYPASS_REASONS: readonly BypassReason[] = ['nondeterministic', 'virtual-table', 'other-schema', 'writes', 'error', 'transaction', 'flux', 'params', 'shape', 'untracked'];

/** The attribute by which the tracker marks the operations it saw, so a cached handle can tell it is tracked. */
const TRACKED = 'rapsqlite.cache.tracker';
/** Marks the cache's own statements (EXPLAIN, the schema map, PRAGMA data_version): never cached, never counted. */
const INTERNAL = 'rapsqlite.cache.internal';

/** A transaction as the tracker follows it: the tables its writes touched, released when it ends. */
interface TxRecord {
  /** It holds the write lock from its BEGIN (IMMEDIATE or EXCLUSIVE): nobody else can commit until it ends. */
  readonly locked: boolean;
  readonly written: Set<string>;
  /** A write to unknown tables happened in it. */
  all: boolean;
  /** `PRAGMA data_version` was checked inside it (under the lock, nothing can change it any more). */
  checked: boolean;
  /** The ids of the transaction and its savepoints. */
  readonly ids: number[];
}


type CachedOp = OperationOf<'get'> | OperationOf<'all'> | OperationOf<'values'>;

function isCachedRead(op: Operation): op is CachedOp {
  return op.kind === 'get' || op.kind === 'all' || op.kind === 'values';
}

function matches(rule: CacheRule, op: Operation): boolean {
  const match = rule.match;
  if (typeof match === 'string') return match === op.sql;
  if (match instanceof RegExp) {
    match.lastIndex = 0;
    return match.test(op.sql);
  }
  return match(op) === true;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * A read-through cache of query results that never serves what an uncached read would not return:
 * - an entry records the tables its statement reads, from the statement's compiled program (`EXPLAIN`), views,
 *   subqueries and indexes resolved to their tables; queries calling non-deterministic functions, reading the clock,
 *   virtual tables or other schemas are never cached;
 * - every write that goes through a tracked handle is analyzed the same way (triggers and foreign-key actions
 *   included): while it is in flight, results of its tables are neither served nor stored; when it commits, their
 *   entries are dropped; a rollback changes nothing;
 * - before every hit outside a write transaction, `PRAGMA data_version` tells whether another process (or another
 *   connection) committed: if so every entry is dropped;
 * - inside a transaction, only an IMMEDIATE or EXCLUSIVE one (which holds the write lock) is served, and never a
 *   result of a table it wrote.
 *
 * Create one per database file; install {@link QueryCache.tracker} on the handle every write goes through (first),
 * and opt reads in with {@link QueryCache.handle} or the `rules` option.
 */
export class QueryCache {
  readonly #options: ResolvedCacheOptions;
  readonly #store: CacheStore;
  readonly #tables = new TableState();
  readonly #analyzer: StatementAnalyzer;
  readonly #report: PluginReporter;
  /** The transaction whose operation is running, so its BEGIN (and its savepoints' SAVEPOINT) can name it. */
  readonly #transactions = new AsyncLocalStorage<TxRecord>();
  /** Every open transaction and savepoint by id, to its outermost transaction's record. */
  readonly #records = new Map<number, TxRecord>();
  #warnedUntracked = false;
  /** Keys of the entries that read each table, for eager invalidation. */
  readonly #byTable = new Map<string, Set<string>>();
  /** Bumped when another process's commit was seen: entries from before are stale. */
  #foreignEpoch = 0;
  #dataVersion: { readonly connection: number; readonly value: number } | undefined;
  /** The database file this cache serves, learnt from the first operation that reached a connection. */
  #path: string | undefined;
  #poisoned = false;
  readonly #counts = { hits: 0, misses: 0, stores: 0, invalidations: 0, expirations: 0, foreignChanges: 0, versionChecks: 0 };
  readonly #bypasses = Object.fromEntries(BYPASS_REASONS.map((r) => [r, 0])) as Record<BypassReason, number>;
  /** The tracker middleware: install it on the database handle (first), so that it sees every write. */
  readonly tracker: Middleware;

  constructor(options: QueryCacheOptions = {}) {
    this.#options = resolveCacheOptions(options);
    this.#store = this.#options.store ?? new LruStore(this.#options.maxEntries, this.#options.maxBytes);
    this.#analyzer = new StatementAnalyzer(this.#options.deterministicFunctions);
    this.#report = createPluginReporter('cache', this.#options.onError);
    this.tracker = Object.freeze({ name: 'cache', wrap: (next: Execute): Step => (op: Operation) => this.#track(op, next) });
  }

  /**
   * A middleware that caches the reads (`get`, `all`, `values`) of the handle it is added to, for `ttlMs`. It must
   * run inside the tracker: add it with `db.with(cache.cached())` on a tracked handle (or use {@link handle}).
   */
  cached(options: CachedReadOptions = {}): Middleware {
    const ttlMs = checkTtl('ttlMs', options.ttlMs, this.#options.ttlMs);
    return Object.freeze({
      name: 'cache.read',
      wrap: (next: Execute): Step => (op: Operation) => {
        // The cache's own statements, and reads a rule of the tracker already looked up, go straight on.
        if (!isCachedRead(op) || op.attributes[INTERNAL] === true) return next(op);
        if (op.attributes[TRACKED] !== this) {
          // Writes of this handle's database are not known to this cache: serving would be unsafe.
          this.#bypasses.untracked++;
          return next(op);
        }
        return this.#read(op, next, ttlMs);
      },
    });
  }

  /**
   * A handle on the same connections whose reads are cached: `db.with(cache.cached(options))`. `db` must carry
   * the tracker.
   *
   * @example
   * ```ts
   * const cache = createQueryCache();
   * const db = await open('app.db', { middleware: [cache.tracker] });
   * const cached = cache.handle(db, { ttlMs: 60_000 });
   * const top = await cached.all('SELECT * FROM products ORDER BY sales DESC LIMIT 10'); // cached
   * await db.run('UPDATE products SET sales = sales + 1 WHERE id = ?', [7]);               // drops it
   * ```
   */
  handle<D extends { with(...middleware: Middleware[]): D }>(db: D, options: CachedReadOptions = {}): D {
    return db.with(this.cached(options));
  }

  /** A snapshot of the counters, for metrics. */
  stats(): CacheStats {
    return Object.freeze({
      ...this.#counts,
      evictions: this.#store.evictions,
      bypasses: Object.freeze({ ...this.#bypasses }),
      entries: this.#store.size,
      bytes: this.#store.bytes,
    });
  }

  /** Drops every entry (the statistics stay). */
  clear(): void {
    this.#store.clear();
    this.#byTable.clear();
  }

  // ---- The tracker ----

  #track(op: Operation, next: Execute): Promise<unknown> {
    op.attributes[TRACKED] = this;
    switch (op.kind) {
      case 'transaction':
        return this.#transaction(op, next);
      case 'begin':
      case 'savepoint': {
        // The BEGIN (or SAVEPOINT) runs in the transaction operation's context and names the transaction it opens.
        const record = this.#transactions.getStore();
        if (record !== undefined && op.transaction !== undefined) {
          this.#records.set(op.transaction.id, record);
          record.ids.push(op.transaction.id);
        }
        return next(op);
      }
      case 'exec':
        return this.#write(op, next, { tables: 'all', schema: true });
      case 'run':
      case 'runMany':
        return this.#write(op, next, undefined);
      default:
        if (QUERY_KINDS.has(op.kind) && !isReadOnlySql(op.sql)) return this.#write(op, next, undefined);
        if (isCachedRead(op)) {
          const rule = this.#options.rules.find((r) => matches(r, op));
          if (rule !== undefined) {
            op.attributes[INTERNAL] = true;
            return this.#read(op, next, rule.ttlMs ?? this.#options.ttlMs);
          }
        }
        return this.#settled(op, next(op));
    }
  }

  /** Watches an operation's failure for a dead worker: its replacement's `data_version` starts afresh. */
  #settled(op: Operation, pending: Promise<unknown>): Promise<unknown> {
    return pending.then(
      (result) => {
        this.#learnPath(op);
        return result;
      },
      (error: unknown) => {
        const code = codeOf(error);
        if (code === 'ERR_RAPSQLITE_WORKER_DIED' || code === 'ERR_RAPSQLITE_OUTCOME_UNKNOWN') this.#foreignChange();
        throw error;
      },
    );
  }

  #learnPath(op: Operation): void {
    const path = op.connection?.path;
    if (path === undefined) return;
    if (this.#path === undefined) this.#path = path;
    else if (path !== this.#path && !this.#poisoned) {
      // One cache per database file: entries of two files under one key space would answer for each other.
      this.#poisoned = true;
      this.clear();
      this.#report(new Error(`One query cache serves two databases (${this.#path} and ${path}); caching is off from now on`), 'setup');
    }
  }

  #transaction(op: TransactionOperation, next: Execute): Promise<unknown> {
    if (op.transaction !== undefined) {
      // A savepoint belongs to its outermost transaction: its SAVEPOINT statement learns that below.
      const parent = this.#records.get(op.transaction.id);
      return parent === undefined ? next(op) : this.#transactions.run(parent, next, op);
    }
    const record: TxRecord = { locked: !op.readonly && op.mode !== 'deferred', written: new Set(), all: false, checked: false, ids: [] };
    const release = (committed: boolean): void => {
      for (const id of record.ids) this.#records.delete(id);
      const tables = [...record.written];
      this.#tables.end(tables, committed);
      if (record.all) this.#tables.end('all', committed);
      if (committed) this.#invalidate(record.all ? 'all' : tables);
    };
    return this.#transactions.run(record, next, op).then(
      (result) => {
        release(true);
        this.#learnPath(op);
        return result;
      },
      (error: unknown) => {
        // A COMMIT whose answer was lost may have committed: treat it as committed.
        const code = codeOf(error);
        release(code === 'ERR_RAPSQLITE_OUTCOME_UNKNOWN');
        if (code === 'ERR_RAPSQLITE_OUTCOME_UNKNOWN' || code === 'ERR_RAPSQLITE_WORKER_DIED') this.#foreignChange();
        throw error;
      },
    );
  }

  #send(parent: Operation, next: Execute): Send {
    return (sql: string, params: Params | undefined) => {
      const op = createOperation('all', sql, params, { parent });
      op.attributes[INTERNAL] = true;
      return next(op) as Promise<Row[]>;
    };
  }

  /**
   * A write: sent at once (so the connection still runs calls in the order they were made), with every table in
   * flux until the analysis of its program (queued behind it) says which tables it may change; then those stay in
   * flux until it ends, and their entries are dropped if it committed. Inside a transaction the tables stay in flux
   * until the transaction ends, and are invalidated only if it commits.
   */
  #write(op: Operation, next: Execute, given: WriteAnalysis | undefined): Promise<unknown> {
    this.#tables.begin('all');
    let holdsAll = true;
    const releaseAll = (committed: boolean): void => {
      if (!holdsAll) return;
      holdsAll = false;
      this.#tables.end('all', committed);
      if (committed) this.#invalidate('all');
    };
    const record = this.#recordOf(op);
    const params = op.kind === 'runMany' ? op.paramsList[0] : (op as { params?: Params }).params;
    const pending = this.#settled(op, next(op));
    const analysis = (given === undefined ? this.#analyzer.write(op.sql, params, this.#send(op, next)) : Promise.resolve(given)).then(
      (result) => {
        if (result.schema) this.#analyzer.reset();
        const tables = result.tables;
        if (record !== undefined) {
          // The transaction holds the flux until it ends.
          if (tables === 'all') {
            if (!record.all) {
              record.all = true;
              this.#tables.begin('all');
            }
          } else {
            const added = tables.filter((t) => !record.written.has(t));
            for (const table of added) record.written.add(table);
            this.#tables.begin(added);
          }
          releaseAll(false);
        } else if (tables !== 'all') {
          this.#tables.begin(tables);
          releaseAll(false);
        }
        return result;
      },
      (): WriteAnalysis => ({ tables: 'all', schema: true }),
    );
    const finish = (committed: boolean): void => {
      void analysis.then((result) => {
        if (record === undefined && result.tables !== 'all') {
          this.#tables.end(result.tables, committed);
          if (committed) this.#invalidate(result.tables);
        }
        // Outside a transaction the write ends its flux; inside, holdsAll was released when the analysis came.
        releaseAll(committed);
        if (result.schema) this.#analyzer.reset();
      });
    };
    if (op.kind === 'iterate') {
      // A write that returns rows (… RETURNING) through iterate ends with its iteration.
      return pending.then(
        (rows) => watchIterator(rows as AsyncIterator<unknown>, () => finish(true)),
        (error: unknown) => {
          finish(true);
          throw error;
        },
      );
    }
    // The caller learns of the write once its entries are dropped (the analysis, queued behind it, is answered
    // with it), so statistics and later reads see a settled state.
    return pending.then(
      async (value) => {
        finish(true);
        await analysis;
        return value;
      },
      async (error: unknown) => {
        // A failed statement is rolled back by SQLite, but a script may have committed its first statements.
        finish(op.kind === 'exec' || codeOf(error) === 'ERR_RAPSQLITE_OUTCOME_UNKNOWN');
        await analysis;
        throw error;
      },
    );
  }

  /** The transaction an operation belongs to, as the tracker follows it (the outermost one, for a savepoint). */
  #recordOf(op: Operation): TxRecord | undefined {
    const info = op.transaction;
    if (info === undefined) return undefined;
    const record = this.#records.get(info.id);
    if (record === undefined && !this.#warnedUntracked) {
      this.#warnedUntracked = true;
      this.#report(new Error('A transaction began before the cache tracker was installed; its writes are invalidated when they run, not when it commits'), 'transaction');
    }
    return record;
  }

  /** Drops the entries that read `tables` (or every entry). */
  #invalidate(tables: readonly string[] | 'all'): void {
    if (tables === 'all') {
      this.#counts.invalidations += this.#store.size;
      this.clear();
      return;
    }
    for (const table of tables) {
      const keys = this.#byTable.get(table);
      if (keys === undefined) continue;
      for (const key of keys) if (this.#store.delete(key)) this.#counts.invalidations++;
      this.#byTable.delete(table);
    }
  }

  #foreignChange(): void {
    this.#foreignEpoch++;
    this.#counts.foreignChanges++;
    this.#analyzer.reset();
    this.#invalidate('all');
  }

  // ---- Reads ----

  /** Runs `PRAGMA data_version` in the operation's context and drops everything if another connection committed. */
  async #checkDataVersion(op: Operation, next: Execute): Promise<void> {
    this.#counts.versionChecks++;
    const probe = createOperation('get', 'PRAGMA data_version', undefined, { parent: op });
    probe.attributes[INTERNAL] = true;
    const row = (await next(probe)) as Row | undefined;
    const value = Number(row?.['data_version']);
    const connection = probe.connection?.id ?? 0;
    const last = this.#dataVersion;
    this.#dataVersion = { connection, value };
    // Versions of two connections do not compare; a first look cannot know what happened before it.
    if (last === undefined || last.connection !== connection || last.value !== value) {
      if (last !== undefined || this.#store.size > 0) this.#foreignChange();
    }
  }

  /** One number for the global version and the foreign epoch: an entry from before either changed is stale. */
  #generation(): number {
    return this.#tables.globalVersion + this.#foreignEpoch * 2 ** 32;
  }

  #valid(entry: CacheEntry): boolean {
    if (entry.globalVersion !== this.#generation()) return false;
    const tables = entry.tables;
    for (let i = 0; i < tables.length; i++) if (entry.versions[i] !== this.#tables.version(tables[i] as string)) return false;
    return true;
  }

  async #read(op: CachedOp, next: Execute, ttlMs: number): Promise<unknown> {
    if (this.#poisoned) return next(op);
    const pk = paramsKey((op as { params?: Params }).params);
    if (pk === undefined) {
      this.#bypasses.params++;
      return next(op);
    }
    if (reshapes(op.options)) {
      this.#bypasses.shape++;
      return next(op);
    }
    let record: TxRecord | undefined;
    if (op.transaction !== undefined) {
      record = this.#records.get(op.transaction.id);
      if (record === undefined || !record.locked || record.all) {
        this.#bypasses.transaction++;
        return next(op);
      }
    }
    const analysis = this.#analyzer.knownRead(op.sql) ?? (await this.#analyzer.read(op.sql, (op as { params?: Params }).params, this.#send(op, next)));
    if (!analysis.cacheable) {
      this.#bypasses[analysis.reason]++;
      return next(op);
    }
    const tables = analysis.tables;
    const blocked = (): boolean => this.#tables.inFlux(tables) || (record !== undefined && tables.some((t) => record.written.has(t)));
    if (blocked()) {
      this.#bypasses.flux++;
      return next(op);
    }
    if (this.#options.crossProcess === 'check' && record?.checked !== true) {
      await this.#checkDataVersion(op, next);
      if (record !== undefined) record.checked = true;
      if (blocked()) {
        this.#bypasses.flux++;
        return next(op);
      }
    }
    const key = `${op.kind}\u0000${op.options.integers ?? ''}\u0000${op.sql}\u0000${pk}`;
    const entry = this.#store.get(key);
    if (entry !== undefined) {
      if (!this.#valid(entry)) {
        this.#store.delete(key);
        this.#counts.invalidations++;
      } else if (entry.expiresAt <= performance.now()) {
        this.#store.delete(key);
        this.#counts.expirations++;
      } else {
        this.#counts.hits++;
        return copyResult(op.kind, entry.value);
      }
    }
    this.#counts.misses++;
    // Inside a transaction nothing is stored: the snapshot may end differently than the cache's view of it.
    if (record !== undefined) return next(op);
    const versions = tables.map((t) => this.#tables.version(t));
    const touches = tables.map((t) => this.#tables.touch(t));
    const globalVersion = this.#generation();
    const globalTouch = this.#tables.globalTouch;
    const result = await this.#settled(op, next(op));
    // Store only if no write to these tables was issued (nor committed, nor seen from another process) meanwhile.
    const unchanged =
      !this.#poisoned &&
      !this.#tables.inFlux(tables) &&
      globalTouch === this.#tables.globalTouch &&
      globalVersion === this.#generation() &&
      tables.every((t, i) => this.#tables.version(t) === versions[i] && this.#tables.touch(t) === touches[i]);
    if (unchanged) {
      try {
        const stored: CacheEntry = Object.freeze({
          value: copyResult(op.kind, result),
          bytes: resultBytes(op.kind, result, key.length),
          expiresAt: ttlMs === Infinity ? Infinity : performance.now() + ttlMs,
          tables,
          versions: Object.freeze(versions),
          globalVersion,
        });
        this.#store.set(key, stored);
        this.#counts.stores++;
        for (const table of tables) {
          let keys = this.#byTable.get(table);
          if (keys === undefined) this.#byTable.set(table, (keys = new Set()));
          keys.add(key);
        }
      } catch (err) {
        this.#report(err, 'store');
      }
    }
    return result;
  }
}

/**
 * Creates a query result cache for one database file. Install its `tracker` on the handle (first in the chain) and
 * opt reads in with `cache.handle(db, { ttlMs })` or the `rules` option.
 *
 * @example
 * ```ts
 * import { open } from '@rapsqlite/engine';
 * import { createQueryCache } from '@rapsqlite/cache';
 *
 * const cache = createQueryCache({ maxEntries: 5000 });
 * const db = await open('app.db', { middleware: [cache.tracker] });
 * const cached = cache.handle(db);
 * await cached.get('SELECT count(*) AS n FROM orders WHERE status = ?', ['open']);
 * console.log(cache.stats().hits);
 * ```
 */
export function createQueryCache(options?: QueryCacheOptions): QueryCache {
  return new QueryCache(options);
}
