import type { Execute, Middleware, Operation, Params, Step } from '@rapsqlite/engine';
import { ATTRIBUTES, createPluginReporter, observe, SqlMemo, STATEMENT_KINDS, type Outcome, type PluginReporter } from '@rapsqlite/engine/plugin';
import { hasLiterals, sanitizeSql, summarizeSql } from '@rapsqlite/engine/sql';
import { LevelGate } from './level-gate.ts';
import { resolveLoggerOptions, type LogEvent, type LoggerOptions, type LogMethod, type ResolvedLoggerOptions } from './logger-options.ts';

/** What one SQL text shows in a log line, computed once per distinct text. */
interface SqlText {
  readonly summary: string;
  readonly sanitized: string;
}

const texts = new SqlMemo<SqlText>((sql) => ({ summary: summarizeSql(sql), sanitized: hasLiterals(sql) ? sanitizeSql(sql) : sql }));

/** The attempts `@rapsqlite/retry` counted, under the registered attribute; 1 without retry. */
function attemptsOf(op: Operation): number {
  const value = op.attributes[ATTRIBUTES.retryAttempts];
  return typeof value === 'number' ? value : 1;
}

/** Multiplicative hashing of a transaction id into [0, 1): the statements of one transaction share their draw. */
function draw(id: number): number {
  return (Math.imul(id, 0x9e3779b1) >>> 0) / 4294967296;
}

function paramCount(params: Params | undefined): number {
  if (params === undefined) return 0;
  if (Array.isArray(params)) return params.length;
  if (params !== null && typeof params === 'object' && !(params instanceof Uint8Array)) return Object.keys(params).length;
  return 1;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** What a decision for one operation says: bit flags, so the hot path allocates nothing. */
const SAMPLED = 1;
const WANTED = 2;

/** The begin time of each open transaction (and whether a savepoint is rolling back), for its commit or rollback line. */
interface OpenTransaction {
  readonly start: number;
  rollingBack: boolean;
}

class SqlLogger {
  readonly #options: ResolvedLoggerOptions;
  readonly #gate: LevelGate;
  readonly #report: PluginReporter;
  readonly #open = new Map<number, OpenTransaction>();
  /** The decision made for the operation observe is about to start (handed over synchronously). */
  #decision = 0;

  constructor(options: ResolvedLoggerOptions) {
    this.#options = options;
    this.#gate = new LevelGate(options.logger, options.levels);
    this.#report = createPluginReporter('logger', options.onError);
  }

  wrap(next: Execute): Step {
    const observed = observe<number>(
      'logger',
      {
        start: () => this.#decision,
        end: (op, decision, outcome) => this.#end(op, decision, outcome),
      },
      { report: this.#report },
    ).wrap(next);
    return (op: Operation): Promise<unknown> => {
      const decision = this.#decide(op);
      if (decision === 0) return next(op);
      this.#decision = decision;
      return observed(op);
    };
  }

  #sampled(op: Operation): boolean {
    const rate = this.#options.sampleRate;
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    const tx = op.transaction;
    return (tx === undefined ? Math.random() : draw(tx.id)) < rate;
  }

  /** Whether any event this operation may produce is on: when none is, the operation costs one level check. */
  #decide(op: Operation): number {
    const on = this.#gate.current();
    const sampled = (on.statement || on.begin || on.commit) && this.#sampled(op) ? SAMPLED : 0;
    let wanted: boolean;
    switch (op.kind) {
      case 'transaction':
        wanted = on.retry;
        break;
      case 'begin':
      case 'savepoint':
        wanted = (on.begin && sampled !== 0) || on.commit || on.rollback;
        break;
      case 'commit':
      case 'release':
        wanted = on.commit || on.error || this.#open.has(op.transaction?.id ?? -1);
        break;
      case 'rollback':
      case 'rollbackTo':
        wanted = on.rollback || on.error || this.#open.has(op.transaction?.id ?? -1);
        break;
      default:
        wanted = on.error || on.retry || (on.slow && this.#options.slowMs !== Infinity) || (on.statement && sampled !== 0);
    }
    return wanted ? WANTED | sampled : 0;
  }

  #end(op: Operation, decision: number, outcome: Outcome): void {
    const on = this.#gate.current();
    const sampled = (decision & SAMPLED) !== 0;
    const attempts = attemptsOf(op);
    if (attempts > 1 && on.retry) this.#write('retry', op, outcome, { attempts });
    switch (op.kind) {
      case 'transaction':
        return;
      case 'begin':
      case 'savepoint': {
        if (!outcome.ok) {
          if (on.error) this.#write('error', op, outcome, {});
          return;
        }
        const id = op.transaction?.id;
        if (id !== undefined && (on.commit || on.rollback)) {
          // A transaction whose worker died never commits nor rolls back here: the bound keeps such leftovers few.
          if (this.#open.size >= 10_000) this.#open.delete(this.#open.keys().next().value as number);
          this.#open.set(id, { start: performance.now() - outcome.durationMs, rollingBack: false });
        }
        if (on.begin && sampled) this.#write('begin', op, outcome, {});
        return;
      }
      case 'commit':
      case 'release':
      case 'rollback':
      case 'rollbackTo':
        this.#endTransaction(op, on, sampled, outcome);
        return;
      default:
        if (!outcome.ok) {
          if (on.error) this.#write('error', op, outcome, {});
        } else if (outcome.durationMs >= this.#options.slowMs && on.slow) {
          this.#write('slow', op, outcome, { slowMs: this.#options.slowMs });
        } else if (on.statement && sampled) {
          this.#write('statement', op, outcome, {});
        }
    }
  }

  #endTransaction(op: Operation, on: Readonly<Record<LogEvent, boolean>>, sampled: boolean, outcome: Outcome): void {
    const id = op.transaction?.id;
    const open = id === undefined ? undefined : this.#open.get(id);
    const extra: Record<string, unknown> = {};
    if (open !== undefined) extra['transactionMs'] = round(performance.now() - open.start);
    if (!outcome.ok) {
      if (on.error) this.#write('error', op, outcome, extra);
      if (id !== undefined) this.#open.delete(id);
      return;
    }
    if (op.kind === 'rollbackTo') {
      // A savepoint rolls back with ROLLBACK TO, then RELEASE: the RELEASE is part of the rollback, not a commit.
      if (open !== undefined) open.rollingBack = true;
      if (on.rollback) this.#write('rollback', op, outcome, extra);
      return;
    }
    if (id !== undefined) this.#open.delete(id);
    if (op.kind === 'rollback') {
      if (on.rollback) this.#write('rollback', op, outcome, extra);
    } else if (open?.rollingBack !== true && on.commit && sampled) {
      this.#write('commit', op, outcome, extra);
    }
  }

  #write(event: LogEvent, op: Operation, outcome: Outcome, extra: Record<string, unknown>): void {
    const options = this.#options;
    const level = options.levels[event];
    if (level === false) return;
    try {
      const method = options.logger[level] as LogMethod;
      const line: Record<string, unknown> = { event, kind: op.kind };
      let label: string;
      if (op.kind === 'transaction') {
        label = 'transaction';
        line['transactionDepth'] = op.depth;
      } else {
        const text = texts.get(op.sql);
        label = text.summary === '' ? op.kind : text.summary;
        if (text.summary !== '') line['summary'] = text.summary;
        if (options.sql !== false) line['sql'] = options.sql === 'raw' ? op.sql : text.sanitized;
      }
      line['durationMs'] = round(outcome.durationMs);
      if (outcome.rows !== undefined) line['rows'] = outcome.rows;
      if (outcome.changes !== undefined) line['changes'] = outcome.changes;
      if (op.kind === 'runMany') line['batchSize'] = op.paramsList.length;
      else if (STATEMENT_KINDS.has(op.kind) || op.kind === 'prepare') line['paramCount'] = paramCount((op as { params?: Params }).params);
      if (options.params !== undefined && (op.kind === 'runMany' || 'params' in op)) {
        line['params'] = options.params(op.kind === 'runMany' ? op.paramsList : (op as { params?: Params }).params, op);
      }
      const tx = op.transaction;
      if (tx !== undefined) {
        line['transactionId'] = tx.id;
        line['transactionDepth'] = tx.depth;
      }
      const connection = op.connection;
      if (connection !== undefined) {
        line['role'] = connection.role;
        line['connectionId'] = connection.id;
      }
      Object.assign(line, extra);
      if (!outcome.ok) {
        const code = (outcome.error as { code?: unknown } | null)?.code;
        if (typeof code === 'string') line['code'] = code;
        line['err'] = outcome.error;
      }
      method.call(options.logger, line, `${options.name} ${event}: ${label}`);
    } catch (err) {
      this.#report(err, event);
    }
  }
}

/**
 * Creates the SQL logging middleware: one line per statement, transaction boundary, slow statement, failure and
 * retry, written to a logger of pino's shape at the level configured for each kind of event, with the SQL summary,
 * the (sanitized) text, the duration, rows, and the transaction id that groups the statements of one transaction.
 * Parameters are left out unless a redactor is given. When no event an operation could produce is enabled at the
 * logger's current level, the operation goes straight on: one level check, nothing else.
 *
 * Register it after `otel()` and before `retry()` (one line per call, with `attempts` when it was retried); after
 * `retry()` it logs every attempt.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { open } from '@rapsqlite/engine';
 * import { logger } from '@rapsqlite/logger';
 *
 * const log = pino({ level: 'debug' });
 * const db = await open('app.db', { middleware: [logger({ logger: log, slowMs: 50 })] });
 * await db.get('SELECT * FROM users WHERE id = ?', [1]);
 * // {"level":20,"event":"statement","kind":"get","summary":"SELECT users","sql":"SELECT * FROM users WHERE id = ?","durationMs":0.21,"rows":1,"paramCount":1,…,"msg":"sqlite statement: SELECT users"}
 * ```
 */
export function logger(options: LoggerOptions): Middleware {
  const resolved = resolveLoggerOptions(options);
  const instance = new SqlLogger(resolved);
  return Object.freeze({ name: 'logger', wrap: (next: Execute): Step => instance.wrap(next) });
}
