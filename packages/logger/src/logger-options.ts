import type { Operation, Params } from '@rapsqlite/engine';
import { invalidArgument, type PluginErrorHandler } from '@rapsqlite/engine/plugin';

/** pino's level names, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The kinds of event the logger writes, as an `as const` tuple:
 * - `statement`: a statement ran (`exec`, `run`, `runMany`, `get`, `all`, `values`, `iterate`, `prepare`);
 * - `slow`: a statement took at least `slowMs` (logged instead of `statement`);
 * - `error`: a statement failed;
 * - `begin`, `commit`, `rollback`: a transaction (or a savepoint: `depth` ≥ 1) began, committed, rolled back;
 * - `retry`: a call ended after more than one attempt of `@rapsqlite/retry`.
 */
export const LOG_EVENTS = ['statement', 'slow', 'error', 'begin', 'commit', 'rollback', 'retry'] as const;

/** One of {@link LOG_EVENTS}. */
export type LogEvent = (typeof LOG_EVENTS)[number];

/** A log method of pino's shape: a merging object first, then the message. */
export type LogMethod = (object: Record<string, unknown>, message: string) => void;

/**
 * What the plugin needs of a logger: pino's methods (`pino()`, a pino child, `console`, or an adapter of winston,
 * bunyan…). `isLevelEnabled` and `levelVal`, when present (pino has both), let the plugin skip the work of an event
 * whose level is off; without them every event is written and the logger filters.
 */
export interface LoggerLike {
  trace?: LogMethod;
  debug?: LogMethod;
  info?: LogMethod;
  warn?: LogMethod;
  error?: LogMethod;
  fatal?: LogMethod;
  isLevelEnabled?(level: string): boolean;
  /** pino's numeric level: when it changes, the plugin asks `isLevelEnabled` again. */
  readonly levelVal?: number;
}

/**
 * What to log of a statement's SQL text: `'sanitized'` replaces every inline literal with `?` (parameterized text is
 * unchanged), `'raw'` logs it as is, `false` logs only the summary.
 */
export type SqlTextMode = 'sanitized' | 'raw' | false;

/**
 * Turns a statement's parameters into what the log line shows as `params`. Parameters are never logged without
 * one: values may hold personal data. `runMany` passes the array of parameter sets.
 */
export type ParamsRedactor = (params: Params | readonly Params[] | undefined, op: Operation) => unknown;

/** Options of {@link logger}. */
export interface LoggerOptions {
  /** The logger to write to: pino's shape (`info(object, message)` …). Required. */
  readonly logger: LoggerLike;
  /**
   * The level of each kind of event; `false` never logs it. Defaults: `statement` `'debug'`, `slow` `'warn'`,
   * `error` `'error'`, `begin` and `commit` `'debug'`, `rollback` `'info'`, `retry` `'warn'`.
   */
  readonly levels?: Partial<Readonly<Record<LogEvent, LogLevel | false>>>;
  /** A statement at least this slow is logged as `slow` (its level) instead of `statement`. Default 100 ms; `Infinity` turns it off. */
  readonly slowMs?: number;
  /** The SQL text in each line, beside the summary. Default `'sanitized'`. */
  readonly sql?: SqlTextMode;
  /** Logs parameters through this function (default: never; lines carry `paramCount` only). */
  readonly params?: ParamsRedactor;
  /**
   * The share of `statement`, `begin` and `commit` events written, from 0 to 1 (default 1). Decided per
   * transaction, so a transaction is logged whole or not at all; `slow`, `error`, `rollback` and `retry` are always
   * written.
   */
  readonly sampleRate?: number;
  /** The `msg` prefix. Default `'sqlite'`. */
  readonly name?: string;
  /** Receives the plugin's own failures (a logger that throws); default: one process warning. */
  readonly onError?: PluginErrorHandler;
}

const DEFAULT_LEVELS: Readonly<Record<LogEvent, LogLevel | false>> = Object.freeze({
  statement: 'debug',
  slow: 'warn',
  error: 'error',
  begin: 'debug',
  commit: 'debug',
  rollback: 'info',
  retry: 'warn',
});

/** The options after defaults and checks, frozen. */
export interface ResolvedLoggerOptions {
  readonly logger: LoggerLike;
  readonly levels: Readonly<Record<LogEvent, LogLevel | false>>;
  readonly slowMs: number;
  readonly sql: SqlTextMode;
  readonly params: ParamsRedactor | undefined;
  readonly sampleRate: number;
  readonly name: string;
  readonly onError: PluginErrorHandler | undefined;
}

const KEYS: ReadonlySet<string> = new Set(['logger', 'levels', 'slowMs', 'sql', 'params', 'sampleRate', 'name', 'onError']);

/** Checks the options (`ERR_RAPSQLITE_INVALID_ARGUMENT` for a bad one), applies defaults and freezes the result. */
export function resolveLoggerOptions(options: LoggerOptions): ResolvedLoggerOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('logger() takes an options object with a `logger`');
  for (const key of Object.keys(options)) if (!KEYS.has(key)) throw invalidArgument(`Unknown logger option "${key}"`);
  const target = options.logger;
  if (typeof target !== 'object' || target === null) throw invalidArgument('Option logger must be a logger with pino’s methods (info, warn, error…)');
  const levels: Record<LogEvent, LogLevel | false> = { ...DEFAULT_LEVELS };
  if (options.levels !== undefined) {
    if (typeof options.levels !== 'object' || options.levels === null) throw invalidArgument('Option levels must be an object');
    for (const [event, level] of Object.entries(options.levels)) {
      if (!(LOG_EVENTS as readonly string[]).includes(event)) throw invalidArgument(`Unknown log event "${event}" in option levels`);
      if (level !== false && !(LOG_LEVELS as readonly unknown[]).includes(level)) {
        throw invalidArgument(`The level of "${event}" must be one of ${LOG_LEVELS.join(', ')} or false`);
      }
      levels[event as LogEvent] = level as LogLevel | false;
    }
  }
  for (const [event, level] of Object.entries(levels)) {
    if (level !== false && typeof target[level] !== 'function') throw invalidArgument(`The logger has no "${level}" method for the "${event}" event`);
  }
  const slowMs = options.slowMs ?? 100;
  if (typeof slowMs !== 'number' || Number.isNaN(slowMs) || slowMs < 0) throw invalidArgument('Option slowMs must be a number ≥ 0 (Infinity turns it off)');
  const sql = options.sql ?? 'sanitized';
  if (sql !== 'sanitized' && sql !== 'raw' && sql !== false) throw invalidArgument("Option sql must be 'sanitized', 'raw' or false");
  if (options.params !== undefined && typeof options.params !== 'function') throw invalidArgument('Option params must be a function (params, op) => value');
  const sampleRate = options.sampleRate ?? 1;
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) throw invalidArgument('Option sampleRate must be a number from 0 to 1');
  const name = options.name ?? 'sqlite';
  if (typeof name !== 'string') throw invalidArgument('Option name must be a string');
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalidArgument('Option onError must be a function');
  return Object.freeze({ logger: target, levels: Object.freeze(levels), slowMs, sql, params: options.params, sampleRate, name, onError: options.onError });
}
