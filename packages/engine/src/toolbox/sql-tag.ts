/**
 * The `sql` tagged template: every interpolated value becomes a bound parameter (`?`), never SQL text. Fragments
 * made by the tag compose, identifiers go through `sql.id()`, and anything else (undefined, a function, a promise, a
 * value inside a quoted string or a comment) is refused with `ERR_RAPSQLITE_SQL_INTERPOLATION`.
 */
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql } from '../sql/tokenize.ts';
import type { BindValue } from './adapters.ts';
import { QueryToolsErrorCodes } from './codes2.ts';

// Registered symbols, so that fragments made by another copy of the package are still recognised.
const QUERY = Symbol.for('rapsqlite.sql.query');
const IDENTIFIER = Symbol.for('rapsqlite.sql.identifier');

/**
 * A query made by the `sql` tag: SQL text with `?` placeholders and the values they bind, in order. Pass it to a
 * query method in place of the SQL text (`db.all(query)`), or today as `db.all(query.sql, query.params)`.
 */
export class SqlQuery {
  /** The SQL text, with one `?` per bound value. */
  readonly sql: string;
  /** The bound values, in placeholder order. */
  readonly params: readonly BindValue[];

  /** @internal Use the `sql` tag. */
  constructor(text: string, params: readonly BindValue[]) {
    this.sql = text;
    this.params = Object.freeze(params);
    Object.defineProperty(this, QUERY, { value: true });
    Object.freeze(this);
  }
}

/** A quoted SQL identifier made by `sql.id()`: inserted as text, never bound. */
export class SqlIdentifier {
  /** The quoted identifier, `"order ""items"""` or `"main"."users"`. */
  readonly text: string;

  /** @internal Use `sql.id()`. */
  constructor(text: string) {
    this.text = text;
    Object.defineProperty(this, IDENTIFIER, { value: true });
    Object.freeze(this);
  }
}

/** True for a query made by the `sql` tag (by any copy of the package). */
export function isSqlQuery(value: unknown): value is SqlQuery {
  return typeof value === 'object' && value !== null && (value as { [QUERY]?: unknown })[QUERY] === true;
}

function isIdentifier(value: unknown): value is SqlIdentifier {
  return typeof value === 'object' && value !== null && (value as { [IDENTIFIER]?: unknown })[IDENTIFIER] === true;
}

function refuse(message: string): never {
  throw new RapsqliteError(QueryToolsErrorCodes.SQL_INTERPOLATION, message);
}

/** Why an interpolated value cannot be bound, or undefined when it can. */
function notAValue(value: unknown): string | undefined {
  if (value === undefined) return 'undefined (bind null for NULL)';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function') {
    return 'a promise (a missing await?)';
  }
  return undefined;
}

/**
 * Checks a template's text once per call site (a template's strings array is the same object at every call): each
 * interpolation must sit where a parameter can (not inside a string, a quoted identifier or a comment), and the text
 * must hold no placeholder of its own.
 */
const checkedTemplates = new WeakSet<TemplateStringsArray>();

function checkTemplate(strings: TemplateStringsArray): void {
  if (checkedTemplates.has(strings)) return;
  let skeleton = '';
  const slots: number[] = [];
  strings.forEach((part, i) => {
    skeleton += part;
    if (i < strings.length - 1) {
      slots.push(skeleton.length);
      // A space keeps a following digit from turning `?` into a numbered `?NNN`.
      skeleton += /^\d/.test(strings[i + 1] ?? '') ? '? ' : '?';
    }
  });
  const expected = new Set(slots);
  for (const token of tokenizeSql(skeleton)) {
    if (token.kind !== 'parameter') continue;
    if (token.text === '?' && expected.delete(token.start)) continue;
    refuse(`The sql template holds its own placeholder ${token.text}: interpolate the value instead (\${value})`);
  }
  if (expected.size > 0) refuse('An interpolation in the sql template sits inside a quoted string, a quoted identifier or a comment, where it cannot be a parameter: remove the quotes around ${…}');
  checkedTemplates.add(strings);
}

function isTemplate(strings: unknown): strings is TemplateStringsArray {
  return Array.isArray(strings) && Array.isArray((strings as unknown as { raw?: unknown }).raw);
}

function build(strings: TemplateStringsArray, values: readonly unknown[]): SqlQuery {
  if (!isTemplate(strings)) refuse('sql is a template tag: write sql`SELECT … ${value}`, not sql(text)');
  checkTemplate(strings);
  let text = strings[0] ?? '';
  const params: BindValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const next = strings[i + 1] ?? '';
    if (isSqlQuery(value)) {
      text += value.sql;
      for (const p of value.params) params.push(p);
    } else if (isIdentifier(value)) {
      text += value.text;
    } else {
      const problem = notAValue(value);
      if (problem !== undefined) refuse(`Interpolation ${i + 1} of the sql template is ${problem}, not a value to bind`);
      text += /^\d/.test(next) ? '? ' : '?';
      params.push(value as BindValue);
    }
    text += next;
  }
  return new SqlQuery(text, params);
}

/**
 * Quotes an identifier (a table, column or schema name) for SQL text: `sql.id('order items')` → `"order items"`,
 * `sql.id('main', 'users')` → `"main"."users"`. The only way to put a name into a `sql` template; refuse names from
 * untrusted input that are not in a list you know.
 */
function id(...parts: string[]): SqlIdentifier {
  if (parts.length === 0) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'sql.id() needs a name');
  for (const part of parts) {
    if (typeof part !== 'string' || part === '' || part.includes('\u0000')) {
      throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'sql.id() takes non-empty strings without NUL characters');
    }
  }
  return new SqlIdentifier(parts.map((p) => `"${p.replaceAll('"', '""')}"`).join('.'));
}

const EMPTY = new SqlQuery('', []);

/**
 * Joins fragments, identifiers and values with a separator (default `, `): `sql.join(conditions, sql` AND `)`, or
 * `sql`INSERT INTO t (a, b) VALUES (${sql.join([a, b])})``. An empty list gives an empty fragment.
 */
function join(items: readonly unknown[], separator: SqlQuery = new SqlQuery(', ', [])): SqlQuery {
  if (!Array.isArray(items)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'sql.join() takes an array');
  if (!isSqlQuery(separator)) throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, 'sql.join(): the separator must be a sql fragment');
  if (items.length === 0) return EMPTY;
  let text = '';
  const params: BindValue[] = [];
  items.forEach((item, i) => {
    if (i > 0) {
      text += separator.sql;
      params.push(...separator.params);
    }
    if (isSqlQuery(item)) {
      text += item.sql;
      params.push(...item.params);
    } else if (isIdentifier(item)) {
      text += item.text;
    } else {
      const problem = notAValue(item);
      if (problem !== undefined) refuse(`Item ${i + 1} of sql.join() is ${problem}, not a value to bind`);
      text += '?';
      params.push(item as BindValue);
    }
  });
  return new SqlQuery(text, params);
}

/** The `sql` tag, with its helpers `sql.id`, `sql.join` and `sql.empty`. */
export interface SqlTag {
  (strings: TemplateStringsArray, ...values: unknown[]): SqlQuery;
  /** Quotes an identifier; see the tag's documentation. */
  readonly id: (...parts: string[]) => SqlIdentifier;
  /** Joins fragments, identifiers and values with a separator. */
  readonly join: (items: readonly unknown[], separator?: SqlQuery) => SqlQuery;
  /** The empty fragment, for optional parts: `${filter ? sql`AND a = ${a}` : sql.empty}`. */
  readonly empty: SqlQuery;
}

/**
 * The `sql` tagged template. Interpolated values are bound as parameters; fragments made by the tag are spliced in
 * with their parameters; `sql.id(name)` inserts a quoted identifier. A value interpolated inside quotes or a comment,
 * `undefined`, a function or a promise is refused with `ERR_RAPSQLITE_SQL_INTERPOLATION`.
 *
 * @example
 * ```ts
 * const status = 'open';
 * const byOwner = ownerId === undefined ? sql.empty : sql`AND owner_id = ${ownerId}`;
 * const query = sql`SELECT * FROM ${sql.id('orders')} WHERE status = ${status} ${byOwner} ORDER BY id`;
 * // query.sql: 'SELECT * FROM "orders" WHERE status = ? AND owner_id = ? ORDER BY id', query.params: ['open', 7]
 * ```
 */
export const sql: SqlTag = Object.freeze(Object.assign((strings: TemplateStringsArray, ...values: unknown[]) => build(strings, values), { id, join, empty: EMPTY }));
