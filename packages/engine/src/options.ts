import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes } from './errors/codes.ts';
import { RapsqliteError } from './errors/rapsqlite-error.ts';
import type { Middleware } from './middleware/middleware.ts';
import type { AuthorizerRules } from './native/authorizer-rules.ts';
import { resolveToolboxOptions, type ResolvedToolboxOptions, type ToolboxOptions } from './toolbox/options.ts';
import type { AdapterOptions } from './toolbox/adapters.ts';
import { resolveQueryTools, type QueryTools, type QueryToolsOptions } from './toolbox/query-tools.ts';
import { INTEGER_MODES, type IntegerMode } from './types.ts';

/** SQLite's `synchronous` levels, as an `as const` tuple. */
export const SYNCHRONOUS_LEVELS = ['off', 'normal', 'full', 'extra'] as const;

/**
 * How hard SQLite works to make a commit durable. With WAL, every level survives a killed process; only `'full'`
 * and `'extra'` survive power loss. rapsqlite's default is `'full'`; `'normal'` is the documented faster profile.
 */
export type SynchronousLevel = (typeof SYNCHRONOUS_LEVELS)[number];

/** SQLite's journal modes, as an `as const` tuple. */
export const JOURNAL_MODES = ['wal', 'delete', 'truncate', 'persist', 'memory', 'off'] as const;

/** SQLite's journal mode for the database file. */
export type JournalMode = (typeof JOURNAL_MODES)[number];

/**
 * Options of {@link open}. Every option is optional; the defaults suit a server. `attach`, `extensions`, `key` and
 * `cipher` (the toolbox's: see docs/attach-and-extensions.md and docs/encryption.md) apply to every connection;
 * `adapters`, `converters` and `rowMode` (see docs/types.md and docs/queries.md) to every call.
 */
export interface DatabaseOptions extends ToolboxOptions, QueryToolsOptions {
  /**
   * Value adapters for every call (JavaScript values SQLite cannot bind as they are; see docs/types.md). Default
   * none: a `Date` or a boolean is refused with `ERR_RAPSQLITE_PARAMETER_TYPE`. `true`: the built-ins (Dates as
   * ISO-8601 text, booleans as 1/0, URLs as their `href`); an object chooses (`{ dates: 'ms', json: true, custom }`),
   * its unset fields taking the built-ins' defaults. A call's own `adapters` replace these.
   */
  readonly adapters?: AdapterOptions | boolean;
  /** Opens the file read-only (it must exist). Default false. */
  readonly readonly?: boolean;
  /** Pragmas set on every new connection after the built-in settings, in order, written without the `PRAGMA` keyword: `['cache_size = -64000']`. */
  readonly pragmas?: readonly string[];
  /** How long a statement waits for another process's lock before `SQLITE_BUSY`. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** How SQLite integers reach JavaScript; see {@link IntegerMode}. Default `'number'`. */
  readonly integers?: IntegerMode;
  /** Prepared statements kept per connection (least recently used are dropped). Default 128; 0 disables the cache. */
  readonly statementCacheSize?: number;
  /** Middleware composed around every call, first = outermost. */
  readonly middleware?: readonly Middleware[];
  /** `PRAGMA synchronous`, set explicitly on every connection. Default `'full'` (durable); `'normal'` is faster. */
  readonly synchronous?: SynchronousLevel;
  /** `PRAGMA journal_mode` for a writable file. Default `'wal'`. */
  readonly journalMode?: JournalMode;
  /** `PRAGMA foreign_keys`. Default true. */
  readonly foreignKeys?: boolean;
  /** A deadline, in milliseconds, for every call that does not set its own `timeoutMs`. Default none. */
  readonly timeoutMs?: number;
  /**
   * Denies actions and tables to the SQL this connection runs (for untrusted SQL): denied statements fail when
   * prepared, with `SQLITE_AUTH`. Needs the native companion. See docs/security.md.
   */
  readonly authorizer?: AuthorizerRules;
  /**
   * Records the time each statement spent inside SQLite in `op.attributes['rapsqlite.sqliteTimeNs']` (nanoseconds), so
   * middleware can tell execution time from queue wait. Measured by SQLite's trace hook through the native companion;
   * without it, by the worker's clock around the driver call. Default false (it costs a little per call).
   */
  readonly statementTiming?: boolean;
  /**
   * Microseconds the worker keeps polling for the next request after it answered, before its thread sleeps. A caller
   * awaiting one query at a time then skips the thread's wake-up (a bare round trip measured ~24 µs without, ~9 µs
   * with 50 µs of polling); the price is up to that much CPU after each burst of work. On Linux the worker stops
   * polling while its thread keeps waiting for a CPU (every core busy: polling would take the core the caller needs)
   * and tries again each second. Default 50; 0 never polls.
   */
  readonly spinMicros?: number;
  /**
   * Lets the worker run simple statements without JavaScript while it is idle: with the native companion, a `get`,
   * `all` or `run` with positional parameters, made while nothing else is in flight on the connection (a caller
   * awaiting one query at a time), is run by the companion on the worker's own thread and answered straight to the
   * caller's thread, skipping the message round trip (see docs/architecture.md, "The native fast path"). Results,
   * errors and cancellation are the same either way. Not used on a connection with JavaScript user functions, an
   * `init` module, or `statementTiming`. Default true.
   */
  readonly fastPath?: boolean;
  /**
   * How long, in milliseconds, a cancelled call (its `signal`, `timeoutMs`, or `db.interrupt()`) may keep running
   * before the worker is replaced to stop it: SQLite can be interrupted only while it runs its own code, not while a
   * user function or a wait for another connection's lock holds the thread. Calls the worker had not started are
   * sent to the replacement; see docs/cancellation.md for what happens to the others. Not applied to an in-memory
   * database, whose data lives in its worker. Default 250; `Infinity` never replaces the worker.
   */
  readonly cancelGraceMs?: number;
  /**
   * Set-up run on every connection this database (or a pool) opens, and again on every replacement worker, after
   * the built-in settings and `pragmas`: SQL statements (`"ATTACH 'audit.db' AS audit"`), or a module whose export
   * the worker calls with an {@link InitConnection} before any other statement runs. A failure fails `open()` with
   * the statement's error.
   *
   * @example
   * ```ts
   * const db = await open('app.db', { init: ["ATTACH 'audit.db' AS audit", 'PRAGMA audit.journal_mode = WAL'] });
   * const viaModule = await open('app.db', { init: { module: new URL('./init.js', import.meta.url), export: 'setUp' } });
   * ```
   */
  readonly init?: string | readonly string[] | InitSource;
}

/** A module whose export a worker calls to set up each new connection; see {@link DatabaseOptions.init}. */
export interface InitSource {
  /** An absolute path, a `file:` URL (string or URL) or a package name, imported inside the worker. */
  readonly module: string | URL;
  /** The export to call. Default `'default'`. */
  readonly export?: string;
}

/**
 * What an `init` module's export receives: the new connection, synchronously, on the worker's thread. It may return a
 * promise; the connection serves calls only once it has settled.
 */
export interface InitConnection {
  /** The database path the connection was opened on. */
  readonly path: string;
  /** True for a read-only connection (a pool's readers). */
  readonly readonly: boolean;
  /** Runs a script of one or more statements. */
  exec(sql: string): void;
  /** Runs one statement with positional parameters and returns its rows as objects (integers as bigints, exact). */
  all(sql: string, ...params: unknown[]): Array<Record<string, unknown>>;
  /** Runs one statement with positional parameters. */
  run(sql: string, ...params: unknown[]): void;
}

/** The options after defaults, frozen. */
export type ResolvedOptions = Readonly<Required<Omit<DatabaseOptions, 'timeoutMs' | 'authorizer' | 'init' | keyof ToolboxOptions | keyof QueryToolsOptions>>> & {
  /** What every worker replays: attachments, extensions, the encryption key. */
  readonly toolbox: ResolvedToolboxOptions;
  /** What every call applies: adapters, converters, the default row shape. */
  readonly tools: QueryTools;
  readonly timeoutMs: number | undefined;
  readonly authorizer: AuthorizerRules | undefined;
  /** The `init` statements. */
  readonly init: readonly string[];
  /** The `init` module, as the specifier the worker imports, and its export. */
  readonly initModule: { readonly module: string; readonly export: string } | undefined;
};

const KNOWN = new Set<string>([
  'readonly',
  'pragmas',
  'busyTimeoutMs',
  'integers',
  'statementCacheSize',
  'middleware',
  'synchronous',
  'journalMode',
  'foreignKeys',
  'timeoutMs',
  'authorizer',
  'statementTiming',
  'spinMicros',
  'fastPath',
  'cancelGraceMs',
  'init',
  'attach',
  'extensions',
  'key',
  'cipher',
  'adapters',
  'converters',
  'rowMode',
]);

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) invalid(`Option ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

function count(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) invalid(`Option ${name} must be a non-negative integer`);
  return value;
}

/** Checks an integer mode given per call. */
export function checkIntegerMode(value: unknown): IntegerMode {
  return oneOf('integers', value, INTEGER_MODES, 'number');
}

/**
 * The module specifier a worker imports for a user module (functions, `init`): an absolute path, a `file:` URL (a
 * string or a URL) or a package name. A relative path is ambiguous (relative to what?) and refused.
 */
export function moduleSpecifier(spec: unknown): string {
  if (spec instanceof URL) return spec.href;
  if (typeof spec !== 'string' || spec === '') invalid('A module is an absolute path, a file URL or a package name');
  if (spec.startsWith('./') || spec.startsWith('../')) {
    invalid(`Module "${spec}" is relative; use new URL('${spec}', import.meta.url) or an absolute path`);
  }
  return isAbsolute(spec) ? pathToFileURL(spec).href : spec;
}

function resolveInit(init: DatabaseOptions['init']): [readonly string[], ResolvedOptions['initModule']] {
  if (init === undefined) return [Object.freeze([]), undefined];
  if (typeof init === 'string') return [Object.freeze([init]), undefined];
  if (Array.isArray(init)) {
    if (init.some((sql) => typeof sql !== 'string')) invalid('Option init must be SQL text, an array of SQL texts, or { module, export }');
    return [Object.freeze([...(init as string[])]), undefined];
  }
  if (typeof init !== 'object' || init === null) invalid('Option init must be SQL text, an array of SQL texts, or { module, export }');
  const source = init as InitSource;
  const name = source.export ?? 'default';
  if (typeof name !== 'string') invalid('Option init.export must be a string');
  return [Object.freeze([]), Object.freeze({ module: moduleSpecifier(source.module), export: name })];
}

/** Validates options, applies defaults and freezes the result, so that later mutation by the caller has no effect. */
export function resolveOptions(options: DatabaseOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) invalid('Options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) invalid(`Unknown option "${key}"${key === 'readOnly' ? ' (did you mean "readonly"?)' : ''}`);
  }
  const pragmas = options.pragmas ?? [];
  if (!Array.isArray(pragmas) || pragmas.some((p) => typeof p !== 'string')) invalid('Option pragmas must be an array of strings');
  const middleware = options.middleware ?? [];
  if (!Array.isArray(middleware)) invalid('Option middleware must be an array');
  if (options.readonly !== undefined && typeof options.readonly !== 'boolean') invalid('Option readonly must be a boolean');
  if (options.foreignKeys !== undefined && typeof options.foreignKeys !== 'boolean') invalid('Option foreignKeys must be a boolean');
  if (options.fastPath !== undefined && typeof options.fastPath !== 'boolean') invalid('Option fastPath must be a boolean');
  const [init, initModule] = resolveInit(options.init);
  const cancelGraceMs = options.cancelGraceMs ?? 250;
  if (typeof cancelGraceMs !== 'number' || !(cancelGraceMs >= 0)) invalid('Option cancelGraceMs must be a non-negative number (Infinity to never replace the worker)');
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) invalid('Option timeoutMs must be a positive number');
  return Object.freeze({
    readonly: options.readonly ?? false,
    pragmas: Object.freeze([...pragmas]),
    busyTimeoutMs: count('busyTimeoutMs', options.busyTimeoutMs, 5000),
    integers: checkIntegerMode(options.integers),
    statementCacheSize: count('statementCacheSize', options.statementCacheSize, 128),
    middleware: Object.freeze([...middleware]),
    synchronous: oneOf('synchronous', options.synchronous, SYNCHRONOUS_LEVELS, 'full'),
    journalMode: oneOf('journalMode', options.journalMode, JOURNAL_MODES, 'wal'),
    foreignKeys: options.foreignKeys ?? true,
    timeoutMs,
    authorizer: options.authorizer,
    statementTiming: options.statementTiming === true,
    spinMicros: count('spinMicros', options.spinMicros, 50),
    fastPath: options.fastPath ?? true,
    cancelGraceMs,
    init,
    initModule,
    toolbox: resolveToolboxOptions({
      ...(options.attach === undefined ? {} : { attach: options.attach }),
      ...(options.extensions === undefined ? {} : { extensions: options.extensions }),
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.cipher === undefined ? {} : { cipher: options.cipher }),
    }),
    tools: resolveQueryTools({
      // Opt-in on a database: without the option, a Date or a boolean is refused as it always was.
      adapters: options.adapters ?? false,
      ...(options.converters === undefined ? {} : { converters: options.converters }),
      ...(options.rowMode === undefined ? {} : { rowMode: options.rowMode }),
    }),
  });
}
