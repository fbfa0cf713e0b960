import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { SqlMemo } from '../middleware/plugin-support.ts';
import type { SqlValue } from '../types.ts';
import { tokenizeSql } from './tokenize.ts';

/**
 * What a connection provider that sends SQL text to a server must know about it before sending it, when the server
 * binds parameters by position only and runs whatever it is given (dqlite's protocol, libSQL's client): how many
 * statements the text holds, and where each parameter goes.
 */
export interface StatementPlan {
  /** 0 (only whitespace and comments), 1, or 2 for more than one. */
  readonly statements: 0 | 1 | 2;
  /** The text of the first statement without its trailing semicolon and comments. */
  readonly first: string;
  /** The highest parameter index, as SQLite numbers them (`sqlite3_bind_parameter_count`). */
  readonly count: number;
  /** The statement has `?` or `?NNN` parameters, which only an array can bind. */
  readonly positional: boolean;
  /** Named parameters by the key that binds them (`:id`, `@id` and `$id` are all `id`), with their indices. */
  readonly named: ReadonlyMap<string, readonly number[]>;
}

const plans = new SqlMemo<StatementPlan>(plan, 2000);

/** The plan of `sql`, remembered per text. */
export function statementPlan(sql: string): StatementPlan {
  return plans.get(sql);
}

function plan(sql: string): StatementPlan {
  const tokens = tokenizeSql(sql);
  let statements: 0 | 1 | 2 = 0;
  let firstEnd = 0;
  let count = 0;
  let positional = false;
  const byName = new Map<string, number>();
  const named = new Map<string, number[]>();
  // sqlite3_complete()'s rule: a statement ends at a semicolon, except inside a CREATE TRIGGER body, which ends at
  // the semicolon after its END.
  const lead: string[] = [];
  let leading = true;
  let trigger = false;
  let lastWord = '';
  let ended = false;
  for (const token of tokens) {
    if (token.kind === 'whitespace' || token.kind === 'comment') continue;
    if (ended) {
      statements = 2;
      break;
    }
    if (token.kind === 'operator' && token.text === ';') {
      if (statements === 0) continue;
      if (!trigger || lastWord === 'END') ended = true;
      lastWord = '';
      continue;
    }
    statements = 1;
    firstEnd = token.end;
    if (token.kind === 'keyword' || token.kind === 'identifier') {
      lastWord = token.text.toUpperCase();
      if (leading && lead.length < 6) {
        lead.push(lastWord);
        if (lastWord === 'TRIGGER') trigger = isTriggerLead(lead);
      }
    } else {
      leading = false;
      lastWord = '';
    }
    if (token.kind !== 'parameter') continue;
    const text = token.text;
    if (text.charCodeAt(0) === 63 /* ? */) {
      positional = true;
      if (text.length === 1) count++;
      else count = Math.max(count, Number(text.slice(1)));
      continue;
    }
    let index = byName.get(text);
    if (index === undefined) {
      index = ++count;
      byName.set(text, index);
      const key = text.slice(1);
      const list = named.get(key);
      if (list === undefined) named.set(key, [index]);
      else list.push(index);
    }
  }
  return { statements, first: sql.slice(0, firstEnd), count, positional, named };
}

/** `[EXPLAIN [QUERY PLAN]] CREATE [TEMP | TEMPORARY] TRIGGER`. */
function isTriggerLead(words: readonly string[]): boolean {
  let at = 0;
  if (words[at] === 'EXPLAIN') at += words[at + 1] === 'QUERY' ? 3 : 1;
  if (words[at++] !== 'CREATE') return false;
  if (words[at] === 'TEMP' || words[at] === 'TEMPORARY') at++;
  return words[at] === 'TRIGGER' && at === words.length - 1;
}

function isNamed(params: unknown): params is Record<string, SqlValue> {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && !ArrayBuffer.isView(params);
}

function countError(plan: StatementPlan, given: number, sql: string): RapsqliteError {
  const verb = given < plan.count ? 'Too few' : 'Too many';
  return new RapsqliteError(ErrorCodes.PARAMETER_COUNT, `${verb} parameter values were provided: the statement takes ${plan.count}, ${given} given`, { sql });
}

/**
 * The values to bind, by position (index 0 is parameter 1), from the call's parameters: an array or a single value
 * binds by position and must match the count; an object binds named parameters by their name without prefix.
 */
export function bindValues(plan: StatementPlan, params: unknown, sql: string): SqlValue[] {
  if (params === undefined) {
    if (plan.count > 0) throw countError(plan, 0, sql);
    return [];
  }
  if (Array.isArray(params)) {
    if (params.length !== plan.count) throw countError(plan, params.length, sql);
    return params as SqlValue[];
  }
  if (!isNamed(params)) {
    if (plan.count !== 1) throw countError(plan, 1, sql);
    return [params as SqlValue];
  }
  if (plan.positional) {
    throw new RapsqliteError(ErrorCodes.PARAMETER_COUNT, 'The statement has positional parameters (? or ?NNN): bind them with an array', { sql });
  }
  const values = new Array<SqlValue>(plan.count).fill(null);
  for (const key in params) {
    const indices = plan.named.get(key);
    if (indices === undefined) {
      const hint = /^[:@$]/.test(key) ? ' (use the name without its prefix)' : '';
      const error = new RapsqliteError(ErrorCodes.PARAMETER_UNKNOWN, `Unknown named parameter "${key}"${hint}`, { sql });
      Object.defineProperty(error, 'parameter', { value: key, enumerable: true });
      throw error;
    }
    for (const index of indices) values[index - 1] = params[key] as SqlValue;
  }
  for (const key of plan.named.keys()) {
    if (!(key in params)) {
      const error = new RapsqliteError(ErrorCodes.PARAMETER_MISSING, `Missing named parameter "${key}"`, { sql });
      Object.defineProperty(error, 'parameter', { value: key, enumerable: true });
      throw error;
    }
  }
  return values;
}

/** Refuses text that is not exactly one statement, as a local database does for everything but `exec`. */
export function assertOneStatement(plan: StatementPlan, sql: string): void {
  if (plan.statements === 1) return;
  throw new RapsqliteError(
    ErrorCodes.INVALID_ARGUMENT,
    plan.statements === 0 ? 'The SQL text contains no statements' : 'The SQL text contains more than one statement: use exec() for scripts',
    { sql },
  );
}
