import { hasLiterals, sanitizeSql, summarizeSql } from '@rapsqlite/engine';

/** Texts longer than this are summarized on every call rather than kept as cache keys. */
const MAX_CACHED_LENGTH = 8192;

/** What the spans and metrics need to know about one SQL text, computed once per distinct text. */
export class SqlInfo {
  readonly sql: string;
  /** `db.query.summary`: operations and targets, at most 255 characters; `''` when the text has none. */
  readonly summary: string;
  #text: string | undefined;

  constructor(sql: string) {
    this.sql = sql;
    this.summary = summarizeSql(sql);
  }

  /** `db.query.text`: the text as is when it is parameterized, else with every literal replaced by `?`. */
  get text(): string {
    let text = this.#text;
    if (text === undefined) {
      text = hasLiterals(this.sql) ? sanitizeSql(this.sql) : this.sql;
      this.#text = text;
    }
    return text;
  }
}

/**
 * A bounded cache of {@link SqlInfo} by SQL text. Applications run a small set of distinct statements, so nearly
 * every lookup hits; one that builds SQL with inline values cannot grow it past `capacity` (oldest entries go).
 */
export class SqlInfoCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, SqlInfo>();

  constructor(capacity = 2000) {
    this.#capacity = capacity;
  }

  get(sql: string): SqlInfo {
    let info = this.#entries.get(sql);
    if (info !== undefined) return info;
    info = new SqlInfo(sql);
    if (sql.length > MAX_CACHED_LENGTH) return info;
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(sql, info);
    return info;
  }
}
