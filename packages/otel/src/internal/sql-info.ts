import { SqlMemo } from '@rapsqlite/engine/plugin';
import { hasLiterals, sanitizeSql, summarizeSql } from '@rapsqlite/engine/sql';

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

/** The {@link SqlInfo} of each distinct SQL text, bounded (see the engine's `SqlMemo`). */
export class SqlInfoCache extends SqlMemo<SqlInfo> {
  constructor() {
    super((sql) => new SqlInfo(sql));
  }
}
