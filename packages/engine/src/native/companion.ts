import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { compileAuthorizerRules, type AuthorizerRules } from './authorizer-rules.ts';

/** The companion ABI this loader speaks; a binary reporting another one is ignored as stale. */
const ABI_VERSION = 4;
const BINARY_NAME = 'rapsqlite_companion.node';

/** What {@link Companion.takeProfile} reports: statements that finished on a connection since the last call. */
export interface CompanionProfile {
  /** Statements that finished (ran to completion, failed, were interrupted or were reset). */
  readonly count: number;
  /** Time spent inside those statements, from their first step to their end, in nanoseconds. */
  readonly totalNs: number;
  /** How long the last of them ran, in nanoseconds (0 when none finished). */
  readonly lastNs: number;
}

/**
 * What the fast path's callback (see {@link Companion.fastInit}) receives as `payload` when `status` is 1: the
 * better-sqlite3 name of SQLite's extended result code (`'SQLITE_CONSTRAINT_UNIQUE'`, `'UNKNOWN_SQLITE_ERROR_<n>'`
 * for a code better-sqlite3 does not name) or `'ERR_RAPSQLITE_INTEGER_OVERFLOW'`, and the message.
 */
export interface FastError {
  readonly code: string;
  readonly message: string;
}

/**
 * The fast path's callback, called on the thread that called {@link Companion.fastInit} once per request submitted
 * with {@link Companion.fastSubmit}, in the order the owner thread answered them (a slot's requests in submission
 * order).
 *
 * - `status` 0 (ok): `payload` is, for `get`, the row object or `undefined` (no row); for `all`, an array of row
 *   objects; for `run`, `[changes, lastInsertRowid]` (`changes` a number; the rowid a number, or a bigint beyond
 *   ±(2^53−1) or in mode 2).
 * - `status` 1 (error): `payload` is a {@link FastError}.
 * - `status` 2 (fallback): nothing ran; send the request the normal way. `payload` is undefined.
 *
 * `inTransaction` is whether the connection was inside a transaction after the request.
 */
export type FastCallback = (slot: number, id: number, status: number, payload: unknown, inTransaction: boolean) => void;

/**
 * The native companion: a C library that is both a Node-API addon and an SQLite extension. Loaded into a
 * connection with `db.loadExtension(extensionPath, entryPoint)`, it gives that connection a process-wide slot
 * id (`slotSql` returns it) through which any thread can interrupt the connection's running statement; the
 * owning thread can also install an authorizer and read statement timings.
 *
 * Thread rules: `interrupt`, `setActive`, `isInterrupted`, `isLive` and `liveSlots` work from any thread;
 * `setAuthorizer` and `takeProfile` only on the thread that loaded the extension into the connection (they throw
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` elsewhere). Calls on a closed slot: `interrupt`/`setActive` return false,
 * `setAuthorizer`/`takeProfile` throw `ERR_RAPSQLITE_CLOSED`.
 *
 * The fast path: the owner thread may wait inside `fastServe` and run simple statements that another thread queues
 * with `fastSubmit`, answering through the callback given to `fastInit`, without running JavaScript on the owner's
 * side. `fastServe` is owner-only; `fastInit`, `fastSubmit`, `fastKick` and `fastKickAll` work from any thread.
 *
 * @example
 * ```ts
 * // in the worker that owns `db` (a better-sqlite3 Database)
 * db.loadExtension(companion.extensionPath, companion.entryPoint);
 * const slot = db.prepare(companion.slotSql).pluck().get() as number;
 * companion.setActive(slot, requestId);   // before running request `requestId`
 * // … run it; meanwhile the main thread may call companion.interrupt(slot, requestId)
 * companion.setActive(slot, 0);           // after it
 * ```
 */
export interface Companion {
  /** The companion's own version. */
  readonly version: string;
  /** The ABI version of the loaded binary. */
  readonly abiVersion: number;
  /** Absolute path of the shared library, to pass to `loadExtension`. */
  readonly extensionPath: string;
  /** The SQLite extension entry point, to pass to `loadExtension`. */
  readonly entryPoint: string;
  /** SQL that returns the connection's slot id once the extension is loaded into it. */
  readonly slotSql: string;
  /**
   * Records the request now running on the slot's connection (`token` a positive request id), or none (`0`).
   * Returns false when the slot is closed.
   */
  setActive(slot: number, token: number): boolean;
  /**
   * Interrupts the request running on the slot's connection: always when `token` is omitted, else only while
   * `token` is the active request. Returns true when it called `sqlite3_interrupt`. The running statement fails
   * with `SQLITE_INTERRUPT`, and so does every statement the same request starts until the next `setActive`
   * (an interrupt landing between two statements, or before the first step, is not lost). SQLite interrupts
   * every statement running on the connection, open cursors of other requests included; see `isInterrupted`.
   */
  interrupt(slot: number, token?: number): boolean;
  /**
   * Whether SQLite's interrupt flag is still set on the slot's connection. After an interrupt it stays set while
   * any statement (an open cursor) is running, failing each statement that steps; reset or finalize the open
   * cursors to clear it. Always false before SQLite 3.41.
   */
  isInterrupted(slot: number): boolean;
  /** Installs an authorizer on the slot's connection (`null` removes it). Owner thread only. */
  setAuthorizer(slot: number, rules: AuthorizerRules | null): void;
  /** Returns and resets the slot's statement timings. Owner thread only. */
  takeProfile(slot: number): CompanionProfile;
  /**
   * A number that changes exactly when SQLite recompiled one of the connection's prepared statements after a schema
   * change since the last call (or finalized one that it had recompiled). A statement compiled against an old schema
   * is recompiled at its first step, so a change after a statement ran says its column names may be new. Owner
   * thread only.
   */
  schemaProbe(slot: number): number;
  /**
   * Registers `name` as an innocuous SQL function (deterministic when asked) that forwards each call to the SQL
   * function `impl`, so that it may be used in indexes, generated columns, views and triggers while
   * `trusted_schema` is off. `nArgs` -1 takes any number of arguments. Owner thread only.
   */
  registerInnocuous(slot: number, name: string, impl: string, nArgs: number, deterministic: boolean): void;
  /** Whether the slot names an open connection. */
  isLive(slot: number): boolean;
  /** How many connections of this process hold a slot. */
  liveSlots(): number;
  /**
   * Creates the calling thread's channel of the fast path: the replies to the requests this thread submits come back
   * through `callback` (see {@link FastCallback}). Each thread that submits has its own; later calls from the same
   * thread do nothing. The channel does not keep the process alive.
   *
   * @example
   * ```ts
   * companion.fastInit((slot, id, status, payload, inTransaction) => settle(id, status, payload, inTransaction));
   * if (!companion.fastSubmit(slot, id, 1, 'SELECT * FROM t WHERE id = ?', [7], 0)) sendTheNormalWay();
   * ```
   */
  fastInit(callback: FastCallback): void;
  /**
   * Queues a request for the slot's owner thread if it is inside {@link Companion.fastServe} right now, and returns
   * true; the reply then comes through the {@link FastCallback} exactly once. Returns false, queuing nothing, when the
   * owner is not serving, the slot is closed, `fastInit` has not been called (or its thread is gone), or a parameter is not one the fast path binds (`params` must be
   * undefined or an array of null, number, bigint within int64, string, Buffer/Uint8Array).
   *
   * `kind`: 0 run, 1 get, 2 all. `id`: a positive safe integer, also the request's interrupt token. `mode` (for
   * INTEGER values): 0 number (an integer beyond ±(2^53−1) is an `ERR_RAPSQLITE_INTEGER_OVERFLOW` error), 1 auto
   * (bigint when unsafe), 2 bigint. Throws `ERR_RAPSQLITE_INVALID_ARGUMENT` only for an argument of the wrong type or
   * range other than `params`.
   */
  fastSubmit(slot: number, id: number, kind: number, sql: string, params: readonly unknown[] | undefined, mode: number): boolean;
  /**
   * Makes the slot's {@link Companion.fastServe} return 1 soon: after the request it is running and every request
   * already queued. Returns whether the owner was serving (a no-op otherwise). Any thread.
   */
  fastKick(slot: number): boolean;
  /** Kicks every serving slot, and makes every later {@link Companion.fastServe} return 2 at once (process exit). */
  fastKickAll(): void;
  /**
   * Serves fast requests on the slot's connection, on its owner thread (throws `ERR_RAPSQLITE_INVALID_ARGUMENT`
   * elsewhere): runs queued requests, polls for new ones for `spinMicros` µs after the last one, then sleeps until one
   * arrives. Returns 1 when kicked, 0 when `maxMs` ms have passed since the call, 2 at once after
   * {@link Companion.fastKickAll} or for a closed slot. Before returning it stops accepting requests, answers every request
   * still queued and finalizes the statements it prepared, so the connection can close; call it again in a loop.
   */
  fastServe(slot: number, spinMicros: number, maxMs: number): number;
}

/** The raw Node-API exports of the binary. */
interface NativeCompanion {
  readonly version: string;
  readonly abiVersion: number;
  readonly entryPoint: string;
  readonly slotFunction: string;
  setActive(slot: number, token: number): boolean;
  interrupt(slot: number, token?: number): boolean;
  isInterrupted(slot: number): boolean;
  isLive(slot: number): boolean;
  liveSlots(): number;
  setAuthorizer(
    slot: number,
    denyMask: number | null,
    denyTables?: readonly string[],
    pragmasAnyArg?: readonly string[],
    pragmasNoArg?: readonly string[],
  ): void;
  takeProfile(slot: number, out: Float64Array): void;
  schemaProbe(slot: number): number;
  registerInnocuous(slot: number, name: string, impl: string, nArgs: number, deterministic: boolean): void;
  fastInit(callback: FastCallback): void;
  fastSubmit(slot: number, id: number, kind: number, sql: string, params: readonly unknown[] | undefined, mode: number): boolean;
  fastKick(slot: number): boolean;
  fastKickAll(): void;
  fastServe(slot: number, spinMicros: number, maxMs: number): number;
}

let cached: Companion | undefined;
let attempted = false;
let failure: string | undefined;

/** `<platform>-<arch>`, with `linuxmusl` for musl-based Linux (the libc loader mapped into this process tells). */
function companionPlatformTag(): string {
  let platform: string = process.platform;
  if (platform === 'linux') {
    try {
      if (readFileSync('/proc/self/maps', 'latin1').includes('/ld-musl-')) platform = 'linuxmusl';
    } catch {
      // No procfs: assume glibc, the common case; a wrong guess only means the prebuilt binary fails to load.
    }
  }
  return `${platform}-${process.arch}`;
}

/**
 * Where a binary may be, best first. A binary compiled in the package comes first: it exists only when it was
 * built on purpose, since the install script does not compile when a prebuilt binary for the platform ships.
 */
function candidates(): string[] {
  // `src/native/` and `dist/native/` both sit two levels below the package root.
  return [
    fileURLToPath(new URL(`../../native/build/Release/${BINARY_NAME}`, import.meta.url)),
    fileURLToPath(new URL(`../../prebuilds/${companionPlatformTag()}/${BINARY_NAME}`, import.meta.url)),
  ];
}

function wrap(native: NativeCompanion, extensionPath: string): Companion {
  // One scratch buffer per thread (each thread has its own module instance): takeProfile allocates nothing native.
  const scratch = new Float64Array(3);
  return Object.freeze({
    version: native.version,
    abiVersion: native.abiVersion,
    extensionPath,
    entryPoint: native.entryPoint,
    slotSql: `SELECT ${native.slotFunction}()`,
    setActive: (slot: number, token: number) => native.setActive(slot, token),
    interrupt: (slot: number, token?: number) =>
      token === undefined ? native.interrupt(slot) : native.interrupt(slot, token),
    setAuthorizer(slot: number, rules: AuthorizerRules | null): void {
      if (rules === null) {
        native.setAuthorizer(slot, null);
        return;
      }
      const compiled = compileAuthorizerRules(rules);
      native.setAuthorizer(slot, compiled.denyMask, compiled.denyTables, compiled.pragmasAnyArg, compiled.pragmasNoArg);
    },
    takeProfile(slot: number): CompanionProfile {
      native.takeProfile(slot, scratch);
      return { count: scratch[0] ?? 0, totalNs: scratch[1] ?? 0, lastNs: scratch[2] ?? 0 };
    },
    schemaProbe: (slot: number) => native.schemaProbe(slot),
    registerInnocuous: (slot: number, name: string, impl: string, nArgs: number, deterministic: boolean) =>
      native.registerInnocuous(slot, name, impl, nArgs, deterministic),
    isInterrupted: (slot: number) => native.isInterrupted(slot),
    isLive: (slot: number) => native.isLive(slot),
    liveSlots: () => native.liveSlots(),
    fastInit: (callback: FastCallback) => native.fastInit(callback),
    // Passed through as they are: these run once per query on the hot path.
    fastSubmit: native.fastSubmit,
    fastKick: native.fastKick,
    fastKickAll: native.fastKickAll,
    fastServe: native.fastServe,
  });
}

function load(): Companion | undefined {
  const require = createRequire(import.meta.url);
  const reasons: string[] = [];
  for (const path of candidates()) {
    if (!existsSync(path)) continue;
    try {
      const native = require(path) as NativeCompanion;
      if (native.abiVersion !== ABI_VERSION) {
        reasons.push(`${path}: ABI ${String(native.abiVersion)}, expected ${ABI_VERSION} (rebuild it)`);
        continue;
      }
      return wrap(native, path);
    } catch (error) {
      reasons.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  failure = reasons.length > 0 ? reasons.join('; ') : 'no binary was built or shipped for this platform';
  return undefined;
}

/**
 * Loads the native companion, once per thread, or returns undefined when it is not available: not built, not
 * loadable, or disabled by `RAPSQLITE_NO_COMPANION=1` (checked on every call). Without it, rapsqlite still works:
 * queued calls are cancelled in JavaScript and an in-flight one is abandoned by replacing its worker.
 *
 * @example
 * ```ts
 * const companion = loadCompanion();
 * if (companion === undefined) console.warn(companionUnavailableReason());
 * ```
 */
export function loadCompanion(): Companion | undefined {
  if (process.env['RAPSQLITE_NO_COMPANION'] === '1') return undefined;
  if (!attempted) {
    attempted = true;
    cached = load();
  }
  return cached;
}

/** Why {@link loadCompanion} returned undefined in this thread, for diagnostics; undefined when it did not. */
export function companionUnavailableReason(): string | undefined {
  if (process.env['RAPSQLITE_NO_COMPANION'] === '1') return 'disabled by RAPSQLITE_NO_COMPANION=1';
  loadCompanion();
  return cached === undefined ? failure : undefined;
}
