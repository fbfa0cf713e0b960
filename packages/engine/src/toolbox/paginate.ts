/**
 * Keyset pagination: pages any query by a unique key tuple, with cursor tokens instead of OFFSET, so page 10 000
 * costs what page 1 costs, and rows inserted or deleted between two requests never shift a page (no row is skipped
 * or repeated because of them).
 */
import type { Queryable } from '../handle/queryable.ts';
import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';
import { tokenizeSql } from '../sql/tokenize.ts';
import type { ColumnInfo, Params, QueryOptions, Row, SqlValue } from '../types.ts';
import { isSqlValue } from './adapters.ts';
import { QueryToolsErrorCodes } from './codes2.ts';
import { cursorFingerprint, cursorKey, decodeCursor, encodeCursor } from './cursor-token.ts';
import { isPlainObject } from './json-text.ts';
import { rowBuilder } from './row-shapes.ts';
import { isSqlQuery, type SqlQuery } from './sql-tag.ts';
import { quoteIdentifier } from './sql-text.ts';

/** One key of the ordering: a result column's name, ascending, or `{ column, direction }`. */
export type PageKey = string | { readonly column: string; readonly direction?: 'asc' | 'desc' };

/** Options of {@link paginate}. */
export interface PaginateOptions extends QueryOptions {
  /**
   * The ordering: result columns that together are unique and NOT NULL, e.g. `['created_at', 'id']`. Each may be
   * `{ column, direction: 'desc' }`. An index on these columns, in this order, makes every page one index range scan.
   */
  readonly orderBy: readonly PageKey[];
  /** Rows per page, 1 to 10 000. Default 50. */
  readonly limit?: number;
  /** A `next` token: the page of rows after it. */
  readonly after?: string;
  /** A `previous` token: the page of rows before it (in the same order as the others). */
  readonly before?: string;
  /** The query's parameters (not with a query made by the `sql` tag, which carries its own). */
  readonly params?: Params;
  /** The key of the tokens' HMAC tag: give one so that tokens cannot be forged (see docs/queries.md). */
  readonly secret?: string | Uint8Array;
}

/** One page of rows and the tokens to move from it. */
export interface Page<R = Row> {
  /** The page's rows, in the ordering's order (also for a page read backward with `before`). */
  readonly rows: R[];
  /** Pass as `after` for the following page; undefined when there is none. */
  readonly next: string | undefined;
  /** Pass as `before` for the preceding page; undefined on the first page. */
  readonly previous: string | undefined;
}

/** @internal How {@link paginate} turns its raw rows into the page's rows (the query tools convert and shape them). */
export type PageRows<R> = (columns: readonly ColumnInfo[], rows: unknown[][]) => R[];

const PAGINATE_KEYS: ReadonlySet<string> = new Set(['orderBy', 'limit', 'after', 'before', 'params', 'secret', 'integers', 'signal', 'timeoutMs']);

function invalid(message: string): never {
  throw new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

interface Key {
  readonly column: string;
  readonly desc: boolean;
}

function keys(orderBy: unknown): Key[] {
  if (!Array.isArray(orderBy) || orderBy.length === 0) invalid('paginate() needs orderBy: a non-empty list of key columns');
  return orderBy.map((k: unknown) => {
    if (typeof k === 'string' && k !== '') return { column: k, desc: false };
    if (typeof k === 'object' && k !== null) {
      const { column, direction } = k as { column?: unknown; direction?: unknown };
      if (typeof column === 'string' && column !== '' && (direction === undefined || direction === 'asc' || direction === 'desc')) {
        return { column, desc: direction === 'desc' };
      }
    }
    return invalid("Each orderBy key is a column name or { column, direction: 'asc' | 'desc' }");
  });
}

/** The query's text without a trailing `;`, refused when it orders or limits itself or holds several statements. */
function baseQuery(sql: string): string {
  const tokens = tokenizeSql(sql).filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  while (tokens.at(-1)?.text === ';') tokens.pop();
  if (tokens.length === 0) invalid('paginate() needs a query');
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.text === ';') invalid('paginate() takes one SELECT statement');
    else if (depth === 0 && t.kind === 'keyword' && /^(ORDER|LIMIT|OFFSET)$/i.test(t.text)) {
      invalid(`paginate() orders and limits the query itself: remove its ${t.text.toUpperCase()} clause and give orderBy`);
    }
  }
  return sql.slice(0, tokens.at(-1)!.end);
}

/**
 * The condition of one branch of a page after (or before) `cursor`: the first `depth` keys equal to the cursor's and
 * the next one past it, `k1 = ? AND k2 > ?`. Every branch is an equality prefix and one range, which an index on the
 * keys serves with one seek, in any mix of directions. (A row value `(k1, k2) > (?, ?)` is not enough: SQLite seeks
 * on its first column only when the index's last column is the rowid, as in `(created_at, id)`, and an `OR` of the
 * branches is not used for a seek at all.)
 */
function branch(list: readonly Key[], forward: boolean, cursor: readonly SqlValue[], depth: number): { where: string; values: SqlValue[] } {
  const parts: string[] = [];
  for (let j = 0; j < depth; j++) parts.push(`${quoteIdentifier(list[j]!.column)} = ?`);
  const key = list[depth]!;
  parts.push(`${quoteIdentifier(key.column)} ${key.desc !== forward ? '>' : '<'} ?`);
  return { where: parts.join(' AND '), values: cursor.slice(0, depth + 1) };
}

/** Adds the page's own parameters to the query's: after positional ones, or by name beside named ones. */
function withPageParams(base: Params | undefined, extra: readonly SqlValue[]): { params: Params; marks: string[] } {
  if (isPlainObject(base)) {
    const out: Record<string, SqlValue> = { ...(base as Record<string, SqlValue>) };
    const marks = extra.map((v, i) => {
      out[`rapsqlite_page_${i}`] = v;
      return `:rapsqlite_page_${i}`;
    });
    return { params: out, marks };
  }
  const list = base === undefined ? [] : Array.isArray(base) ? [...(base as SqlValue[])] : [base as SqlValue];
  return { params: [...list, ...extra], marks: extra.map(() => '?') };
}

/**
 * Reads one page of an ordered query by keyset: `SELECT * FROM (<query>) AS "rapsqlite_page" WHERE "k" > ? ORDER BY
 * "k" ASC LIMIT ?` for one key, with `limit + 1` bound (the extra row says whether a next page exists). For keys
 * `(k1, k2)` the page after a cursor reads `WHERE "k1" = ? AND "k2" > ?`, then, if the page is not full,
 * `WHERE "k1" > ?`: one query for most pages, at most one per key. SQLite flattens the subquery, so with an index on
 * the keys each query is one index seek and every page costs the same. Backward pages (`before`) read in reverse and
 * are returned in order. Works on any handle: a database, a transaction, a pool.
 *
 * Errors: `ERR_RAPSQLITE_PAGINATION_CURSOR` (`reason` `'malformed'`, `'signature'` or `'query'`) for a bad token,
 * `ERR_RAPSQLITE_PAGINATION_KEY` when a row holds NULL in a key column, SQLite's `SQLITE_ERROR` (no such column)
 * when the query does not return a key column, and
 * `ERR_RAPSQLITE_INVALID_ARGUMENT` for bad options or a query that orders or limits itself.
 *
 * @example
 * ```ts
 * const first = await paginate(db, 'SELECT id, title, created_at FROM posts WHERE author = ?', {
 *   params: [authorId], orderBy: [{ column: 'created_at', direction: 'desc' }, { column: 'id', direction: 'desc' }], limit: 20, secret,
 * });
 * const second = await paginate(db, sameSql, { ...sameOptions, after: first.next });
 * ```
 */
export async function paginate<R = Row>(db: Queryable, query: string | SqlQuery, options: PaginateOptions, toRows?: PageRows<R>): Promise<Page<R>> {
  if (typeof options !== 'object' || options === null) invalid('paginate() needs options with orderBy');
  for (const key of Object.keys(options)) if (!PAGINATE_KEYS.has(key)) invalid(`Unknown paginate option "${key}"`);
  const { orderBy, limit = 50, after, before, secret, integers, signal, timeoutMs } = options;
  let text: string;
  let params: Params | undefined;
  if (isSqlQuery(query)) {
    if (options.params !== undefined) invalid('A query made by the sql tag carries its parameters: do not give params');
    text = query.sql;
    params = query.params as Params;
  } else if (typeof query === 'string') {
    text = query;
    params = options.params;
  } else {
    return invalid('paginate() takes SQL text or a query made by the sql tag');
  }
  const list = keys(orderBy);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) invalid('Option limit must be an integer from 1 to 10 000');
  if (after !== undefined && before !== undefined) invalid('Give after or before, not both');
  const base = baseQuery(text);
  const fingerprint = cursorFingerprint([base, ...list.map((k) => `${k.column}\u0001${k.desc ? 'desc' : 'asc'}`)]);
  const key = cursorKey(secret);
  const token = after ?? before;
  const forward = before === undefined;
  const cursor = token === undefined ? undefined : decodeCursor(token, fingerprint, key, list.length);
  const order = list.map((k) => `${quoteIdentifier(k.column)} ${k.desc !== forward ? 'ASC' : 'DESC'}`).join(', ');
  const queryOptions: QueryOptions = {
    ...(integers === undefined ? {} : { integers }),
    ...(signal === undefined ? {} : { signal }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  const read = async (where: { where: string; values: SqlValue[] } | undefined, count: number) => {
    const { params: all, marks } = withPageParams(params, [...(where?.values ?? []), count]);
    let i = 0;
    const condition = where === undefined ? '' : ` WHERE ${where.where.replace(/\?/g, () => marks[i++]!)}`;
    return db.values(`SELECT * FROM (${base}) AS "rapsqlite_page"${condition} ORDER BY ${order} LIMIT ${marks.at(-1)}`, all, queryOptions);
  };
  // limit + 1 rows: the extra one says whether there is a next page. With a cursor, the deepest branch first (the
  // rows that share the cursor's leading keys), then shallower ones, until the page is full: one query for most
  // pages, at most one per key, each one index seek.
  let result: { columns: readonly ColumnInfo[]; rows: unknown[][] };
  if (cursor === undefined) {
    result = await read(undefined, limit + 1);
  } else {
    const rows: unknown[][] = [];
    let columns: readonly ColumnInfo[] = [];
    for (let depth = list.length - 1; depth >= 0 && rows.length <= limit; depth--) {
      const part = await read(branch(list, forward, cursor, depth), limit + 1 - rows.length);
      columns = part.columns;
      rows.push(...part.rows);
    }
    result = { columns, rows };
  }
  const sql = `SELECT * FROM (${base}) ORDER BY ${order}`;
  const more = result.rows.length > limit;
  const raw = more ? result.rows.slice(0, limit) : result.rows;
  if (!forward) raw.reverse();
  const indexes = list.map((k) => {
    const index = result.columns.findIndex((c) => c.name === k.column);
    if (index === -1) {
      const error = new RapsqliteError(QueryToolsErrorCodes.PAGINATION_KEY, `The query's rows have no column "${k.column}" to page by`, { sql });
      Object.defineProperty(error, 'column', { value: k.column, enumerable: true });
      throw error;
    }
    return index;
  });
  const position = (row: readonly unknown[]): string => {
    const values = indexes.map((index, i) => {
      const v = row[index];
      if (v === null || !isSqlValue(v)) {
        const column = list[i]!.column;
        const error = new RapsqliteError(QueryToolsErrorCodes.PAGINATION_KEY, `Key column "${column}" holds NULL: keyset pagination needs NOT NULL keys`, { sql });
        Object.defineProperty(error, 'column', { value: column, enumerable: true });
        throw error;
      }
      return v;
    });
    return encodeCursor(values, fingerprint, key);
  };
  const first = raw[0];
  const last = raw.at(-1);
  let next: string | undefined;
  let previous: string | undefined;
  if (forward) {
    next = more && last !== undefined ? position(last) : undefined;
    previous = after === undefined ? undefined : first === undefined ? after : position(first);
  } else {
    previous = more && first !== undefined ? position(first) : undefined;
    next = last === undefined ? before : position(last);
  }
  const build = rowBuilder(result.columns, 'object');
  const rows = toRows === undefined ? raw.map((r) => build(r, 0) as R) : toRows(result.columns, raw);
  return { rows, next, previous };
}
