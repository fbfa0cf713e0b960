import { ErrorCodes, OPERATION_KINDS, RapsqliteError, type Execute, type Step, type Middleware, type Operation, type OperationKind, type Params, type Row, type RunResult } from '@rapsqlite/engine';
import { TestingErrorCodes } from '../errors/codes.ts';
import { defaultNormalizeSql } from '../internal/normalize.ts';
import { answer, preparedInfo, type MockReply } from './mock-reply.ts';
import { compileMatcher, describeMatcher, paramsEqual, toQuery, type MockQuery, type SqlMatcher } from './sql-matcher.ts';

/** What a mock does with a statement that no rule matches. */
export type UnmatchedPolicy = 'error' | 'passthrough';

/** Options of {@link createMock}. */
export interface MockOptions {
  /** The middleware's name. Default `'mock'`. */
  readonly name?: string;
  /**
   * `'error'` (default): an unmatched statement rejects with `ERR_RAPSQLITE_MOCK_UNMATCHED`, so a forgotten rule
   * fails the test loudly. `'passthrough'`: it goes on to the real database. Transactions and the statements that
   * frame them (BEGIN, COMMIT…) always pass through unless a rule names their kind.
   */
  readonly unmatched?: UnmatchedPolicy;
  /** The normalizer of `{ normalized }` matchers. Default: the engine's `normalizeSql`. */
  readonly normalize?: (sql: string) => string;
}

/** Narrows a rule beyond its SQL matcher. */
export interface MockRuleOptions {
  /**
   * The operation kinds the rule answers. Default: the statement kinds (`exec`, `run`, `runMany`, `get`, `all`,
   * `values`, `iterate`, `prepare`). Name `'commit'`, `'begin'`, `'transaction'`… to answer those.
   */
  readonly kind?: OperationKind | readonly OperationKind[];
  /** Answer only when the parameters deeply equal these (for `runMany`, the list of sets). */
  readonly params?: Params | readonly Params[];
  /** Answer this many times, then let later rules answer. Default: without limit. */
  readonly times?: number;
}

/** A rule registered on a mock. */
export interface MockRule {
  /** The matcher and options, for messages. */
  readonly description: string;
  /** How many operations it has answered. */
  readonly calls: number;
  /** Its limit, or undefined for none. */
  readonly times: number | undefined;
  /** True once it has answered `times` operations. */
  readonly exhausted: boolean;
}

/** Picks the answer of a rule being defined. Each method registers the rule and returns it. */
export interface MockRuleBuilder {
  /** Answers once. */
  once(): MockRuleBuilder;
  /** Answers `count` times. */
  times(count: number): MockRuleBuilder;
  /** Answers only when the parameters deeply equal `params`. */
  withParams(params: Params | readonly Params[]): MockRuleBuilder;
  /** Answers only these operation kinds. */
  kind(kind: OperationKind | readonly OperationKind[]): MockRuleBuilder;
  /**
   * Answers with rows: `get` gets the first (or undefined), `all` all of them, `values` arrays in the order of
   * `columns` (default: the first row's keys), `iterate` a stream of them. Each call gets fresh copies.
   */
  rows(rows: readonly Row[], options?: { readonly columns?: readonly string[] }): MockRule;
  /**
   * Answers a write: `run` gets `{ changes (default 1), lastInsertRowid (default 0) }`, `runMany` the same with
   * `count` (changes default to the number of sets), `exec` and the framing statements nothing.
   */
  result(result?: Partial<RunResult>): MockRule;
  /** Rejects with a `RapsqliteError` carrying `code` (a SQLite code such as `'SQLITE_BUSY'` or any other). */
  error(code: string, message?: string): MockRule;
  /** Rejects with this error object. */
  error(error: Error): MockRule;
  /** Sends the operation on to the real database (and counts it as matched). */
  passthrough(): MockRule;
  /** Answers with whatever `handler` returns (or throws); it may call `next(op)` to reach the database. */
  reply(handler: (op: Operation, next: Execute) => unknown): MockRule;
}

/** One operation the mock saw. */
export interface MockCall extends MockQuery {
  /** `'mocked'`: a rule answered; `'passthrough'`: it went to the database; `'unmatched'`: no rule, and it failed. */
  readonly outcome: 'mocked' | 'passthrough' | 'unmatched';
  /** The rule that answered, if any. */
  readonly rule: MockRule | undefined;
}

/** Filters of the assertion helpers. */
export interface MockCallFilter {
  /** Count only calls of these kinds. Default: every kind. */
  readonly kind?: OperationKind | readonly OperationKind[];
  /** Count only calls with these parameters (deep equality). */
  readonly params?: Params | readonly Params[];
}

/**
 * A mocking middleware: rules answer matching queries with rows, a run result or an error, or pass them through;
 * every operation is recorded for assertions. Add it to a database or a pool with `use()` or `with()`, innermost
 * (last), so that other middleware (retry, tracing) see the mocked answers as real ones.
 */
export interface Mock extends Middleware {
  /** Starts a rule for queries that `matcher` selects. Rules are tried in the order they were defined. */
  when(matcher: SqlMatcher, options?: MockRuleOptions): MockRuleBuilder;
  /** Every operation seen, in order. */
  readonly calls: readonly MockCall[];
  /** The statements that matched no rule (and failed, under the default policy). */
  readonly unmatched: readonly MockCall[];
  /** The rules, in the order they were defined. */
  readonly rules: readonly MockRule[];
  /** The calls `matcher` selects. */
  callsTo(matcher: SqlMatcher, filter?: MockCallFilter): MockCall[];
  /** Throws `ERR_RAPSQLITE_MOCK_ASSERTION` unless `matcher` selects at least one call (exactly `times` when given). */
  assertCalled(matcher: SqlMatcher, options?: MockCallFilter & { readonly times?: number }): void;
  /** Throws `ERR_RAPSQLITE_MOCK_ASSERTION` if `matcher` selects any call. */
  assertNotCalled(matcher: SqlMatcher, filter?: MockCallFilter): void;
  /** Throws `ERR_RAPSQLITE_MOCK_ASSERTION` if any statement matched no rule (even if the code swallowed the error). */
  assertNoUnmatched(): void;
  /** Throws `ERR_RAPSQLITE_MOCK_ASSERTION` unless every rule answered at least once and every limited rule is used up. */
  assertAllRulesUsed(): void;
  /** Forgets the recorded calls, keeping the rules. */
  resetCalls(): void;
  /** Forgets the calls and the rules. */
  reset(): void;
}

const STATEMENT_KINDS: readonly OperationKind[] = ['exec', 'run', 'runMany', 'get', 'all', 'values', 'iterate', 'prepare'];
const STATEMENT_SET: ReadonlySet<string> = new Set(STATEMENT_KINDS);

/** Whether a statement returns rows, for the metadata of a mocked `prepare` whose rule does not say. */
function looksLikeReader(sql: string): boolean {
  return /^\s*(select|with|values|pragma|explain)\b/i.test(sql) || /\breturning\b/i.test(sql);
}

function assertion(message: string): RapsqliteError {
  return new RapsqliteError(TestingErrorCodes.MOCK_ASSERTION, message);
}

function kindsOf(kind: OperationKind | readonly OperationKind[] | undefined): ReadonlySet<string> | undefined {
  if (kind === undefined) return undefined;
  const list: readonly string[] = typeof kind === 'string' ? [kind] : kind;
  for (const k of list) {
    if (!(OPERATION_KINDS as readonly string[]).includes(k)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, `Unknown operation kind "${k}"`);
  }
  return new Set(list);
}

class Rule implements MockRule {
  readonly description: string;
  readonly times: number | undefined;
  readonly #test: (query: MockQuery) => boolean;
  readonly #kinds: ReadonlySet<string> | undefined;
  readonly #params: { readonly value: unknown } | undefined;
  readonly reply: MockReply;
  calls = 0;

  constructor(matcher: SqlMatcher, test: (query: MockQuery) => boolean, options: Required<Pick<RuleDraft, 'kinds'>> & RuleDraft, reply: MockReply) {
    this.#test = test;
    this.#kinds = options.kinds;
    this.#params = options.params;
    this.times = options.times;
    this.reply = reply;
    const extras = [
      options.kinds === undefined ? '' : ` kind ${[...options.kinds].join('|')}`,
      options.params === undefined ? '' : ' with params',
      options.times === undefined ? '' : ` times ${options.times}`,
    ].join('');
    this.description = `${describeMatcher(matcher)}${extras} → ${reply.type}`;
  }

  get exhausted(): boolean {
    return this.times !== undefined && this.calls >= this.times;
  }

  /** Whether the rule applies to the query, ignoring its limit. */
  applies(query: MockQuery): boolean {
    if (this.#kinds === undefined ? !STATEMENT_SET.has(query.kind) : !this.#kinds.has(query.kind)) return false;
    if (this.#params !== undefined && !paramsEqual(query, this.#params.value)) return false;
    return this.#test(query);
  }

  /** True when the rule names `prepare` itself, so that a prepare consumes it and gets its answer verbatim. */
  namesKind(kind: string): boolean {
    return this.#kinds?.has(kind) === true;
  }
}

interface RuleDraft {
  kinds: ReadonlySet<string> | undefined;
  params: { readonly value: unknown } | undefined;
  times: number | undefined;
}

class MockMiddleware implements Mock {
  readonly name: string;
  readonly #unmatchedPolicy: UnmatchedPolicy;
  readonly #normalize: (sql: string) => string;
  #rules: Rule[] = [];
  #calls: MockCall[] = [];

  constructor(options: MockOptions) {
    this.name = options.name ?? 'mock';
    const policy = options.unmatched ?? 'error';
    if (policy !== 'error' && policy !== 'passthrough') {
      throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, "Option unmatched must be 'error' or 'passthrough'");
    }
    this.#unmatchedPolicy = policy;
    this.#normalize = options.normalize ?? defaultNormalizeSql;
  }

  get calls(): readonly MockCall[] {
    return this.#calls;
  }

  get unmatched(): readonly MockCall[] {
    return this.#calls.filter((c) => c.outcome === 'unmatched');
  }

  get rules(): readonly MockRule[] {
    return this.#rules;
  }

  wrap(next: Execute): Step {
    return (op) => this.#handle(op, next);
  }

  when(matcher: SqlMatcher, options: MockRuleOptions = {}): MockRuleBuilder {
    const test = compileMatcher(matcher, this.#normalize);
    const draft: RuleDraft = {
      kinds: kindsOf(options.kind),
      params: options.params === undefined ? undefined : { value: options.params },
      times: undefined,
    };
    const setTimes = (count: number): void => {
      if (!Number.isInteger(count) || count < 1) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'times must be a positive integer');
      draft.times = count;
    };
    if (options.times !== undefined) setTimes(options.times);
    const register = (reply: MockReply): MockRule => {
      const rule = new Rule(matcher, test, draft, reply);
      this.#rules.push(rule);
      return rule;
    };
    const builder: MockRuleBuilder = {
      once: () => (setTimes(1), builder),
      times: (count) => (setTimes(count), builder),
      withParams: (params) => ((draft.params = { value: params }), builder),
      kind: (kind) => ((draft.kinds = kindsOf(kind)), builder),
      rows: (rows, rowOptions) => {
        if (!Array.isArray(rows)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'rows() takes an array of row objects');
        return register({ type: 'rows', rows: [...rows], columns: rowOptions?.columns });
      },
      result: (result = {}) => register({ type: 'result', result: { ...result } }),
      error: (codeOrError: string | Error, message?: string) => {
        if (codeOrError instanceof Error) return register({ type: 'error', error: () => codeOrError });
        if (typeof codeOrError !== 'string') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'error() takes a code or an Error');
        return register({
          type: 'error',
          error: (op) => new RapsqliteError(codeOrError, message ?? `Mocked error ${codeOrError}`, { sql: op.sql }),
        });
      },
      passthrough: () => register({ type: 'passthrough' }),
      reply: (handler) => {
        if (typeof handler !== 'function') throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'reply() takes a function (op, next) => result');
        return register({ type: 'custom', handler });
      },
    };
    return builder;
  }

  #handle(op: Operation, next: Execute): Promise<unknown> {
    const query = toQuery(op);
    const framing = !STATEMENT_SET.has(op.kind);
    let candidate: Rule | undefined;
    let usedUp: Rule | undefined;
    for (const rule of this.#rules) {
      if (!rule.applies(query)) continue;
      // A prepare does not use up a rule meant for the statement's executions, unless the rule names prepare.
      if (rule.exhausted && !(op.kind === 'prepare' && !rule.namesKind('prepare'))) {
        usedUp ??= rule;
        continue;
      }
      candidate = rule;
      break;
    }
    if (candidate === undefined) {
      if (framing || this.#unmatchedPolicy === 'passthrough') {
        this.#calls.push({ ...query, outcome: 'passthrough', rule: undefined });
        return next(op);
      }
      this.#calls.push({ ...query, outcome: 'unmatched', rule: undefined });
      const hint = usedUp === undefined ? '' : ` (rule ${usedUp.description} is used up)`;
      return Promise.reject(
        new RapsqliteError(TestingErrorCodes.MOCK_UNMATCHED, `No mock rule matches this ${op.kind} call${hint}; add one with mock.when(...)`, { sql: op.sql }),
      );
    }
    const reply = candidate.reply;
    if (op.kind === 'prepare' && !candidate.namesKind('prepare')) {
      this.#calls.push({ ...query, outcome: reply.type === 'passthrough' ? 'passthrough' : 'mocked', rule: candidate });
      if (reply.type === 'passthrough') return next(op);
      if (reply.type === 'rows' || reply.type === 'result') return Promise.resolve(preparedInfo(reply));
      const reader = looksLikeReader(op.sql);
      return Promise.resolve({ reader, readonly: reader && !/\breturning\b/i.test(op.sql), columns: [] });
    }
    candidate.calls++;
    this.#calls.push({ ...query, outcome: reply.type === 'passthrough' ? 'passthrough' : 'mocked', rule: candidate });
    return answer(reply, op, next);
  }

  callsTo(matcher: SqlMatcher, filter: MockCallFilter = {}): MockCall[] {
    const test = compileMatcher(matcher, this.#normalize);
    const kinds = kindsOf(filter.kind);
    return this.#calls.filter(
      (call) => (kinds === undefined || kinds.has(call.kind)) && (filter.params === undefined || paramsEqual(call, filter.params)) && test(call),
    );
  }

  assertCalled(matcher: SqlMatcher, options: MockCallFilter & { readonly times?: number } = {}): void {
    const count = this.callsTo(matcher, options).length;
    const expected = options.times;
    if (expected === undefined ? count === 0 : count !== expected) {
      throw assertion(
        `Expected ${describeMatcher(matcher)}${options.params === undefined ? '' : ' with the given params'} to be called ${expected === undefined ? 'at least once' : `${expected} time(s)`}, but it was called ${count} time(s). Calls: ${this.#summary()}`,
      );
    }
  }

  assertNotCalled(matcher: SqlMatcher, filter: MockCallFilter = {}): void {
    const count = this.callsTo(matcher, filter).length;
    if (count !== 0) throw assertion(`Expected ${describeMatcher(matcher)} not to be called, but it was called ${count} time(s)`);
  }

  assertNoUnmatched(): void {
    const unmatched = this.unmatched;
    if (unmatched.length > 0) {
      throw assertion(`${unmatched.length} call(s) matched no mock rule: ${unmatched.map((c) => `${c.kind} ${JSON.stringify(c.sql)}`).join('; ')}`);
    }
  }

  assertAllRulesUsed(): void {
    const pending = this.#rules.filter((r) => r.calls === 0 || (r.times !== undefined && !r.exhausted));
    if (pending.length > 0) {
      throw assertion(`${pending.length} mock rule(s) were not used up: ${pending.map((r) => `${r.description} (${r.calls} call(s))`).join('; ')}`);
    }
  }

  resetCalls(): void {
    this.#calls = [];
  }

  reset(): void {
    this.#calls = [];
    this.#rules = [];
  }

  #summary(): string {
    if (this.#calls.length === 0) return 'none';
    const shown = this.#calls.slice(0, 20).map((c) => `${c.kind} ${JSON.stringify(c.sql)}`);
    return shown.join('; ') + (this.#calls.length > 20 ? `; … ${this.#calls.length - 20} more` : '');
  }
}

/**
 * Creates a mocking middleware. Rules answer matching queries without SQLite; unmatched statements fail with
 * `ERR_RAPSQLITE_MOCK_UNMATCHED` unless `unmatched: 'passthrough'`; every call is recorded.
 *
 * @example
 * ```ts
 * const mock = createMock();
 * mock.when('SELECT * FROM users WHERE id = ?').rows([{ id: 1, name: 'Ada' }]);
 * mock.when(/^INSERT INTO audit/).result({ lastInsertRowid: 7 });
 * mock.when({ normalized: 'UPDATE users SET name = ? WHERE id = ?' }).once().error('SQLITE_BUSY');
 * const db = (await open(':memory:')).with(mock);
 * await service(db);
 * mock.assertCalled('SELECT * FROM users WHERE id = ?', { params: [1], times: 1 });
 * ```
 */
export function createMock(options: MockOptions = {}): Mock {
  return new MockMiddleware(Object.freeze({ ...options }));
}
