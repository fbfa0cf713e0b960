import type { Attributes } from '@opentelemetry/api';
import type { OperationKind } from '@rapsqlite/engine';
import { SqlMemo } from '@rapsqlite/engine/plugin';
import { hasLiterals, sanitizeSql, summarizeSql } from '@rapsqlite/engine/sql';

/** What the spans and metrics need to know about one SQL text, computed once per distinct text. */
export class SqlInfo {
  readonly sql: string;
  /** `db.query.summary`: operations and targets, at most 255 characters; `''` when the text has none. */
  readonly summary: string;
  /** The span name: the summary, or `sqlite` when the text has none. */
  readonly name: string;
  readonly #captureText: boolean;
  #text: string | undefined;
  /** The span attributes that depend on the text and the kind only, by kind (a text is nearly always run as one). */
  #kind: OperationKind | undefined;
  #attributes: Readonly<Attributes> | undefined;
  #others: Map<OperationKind, Readonly<Attributes>> | undefined;

  constructor(sql: string, captureText: boolean) {
    this.sql = sql;
    this.summary = summarizeSql(sql);
    this.name = this.summary === '' ? 'sqlite' : this.summary;
    this.#captureText = captureText;
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

  /**
   * The span attributes known from the text and the operation kind: `db.system.name`, `rapsqlite.operation.kind`,
   * `db.query.summary` and `db.query.text`, built once and frozen (the SDK copies them into each span).
   */
  attributes(kind: OperationKind): Readonly<Attributes> {
    if (kind === this.#kind) return this.#attributes as Readonly<Attributes>;
    if (this.#kind === undefined) {
      this.#kind = kind;
      return (this.#attributes = this.#build(kind));
    }
    this.#others ??= new Map();
    let attributes = this.#others.get(kind);
    if (attributes === undefined) this.#others.set(kind, (attributes = this.#build(kind)));
    return attributes;
  }

  #build(kind: OperationKind): Readonly<Attributes> {
    const attributes: Attributes = { 'db.system.name': 'sqlite', 'rapsqlite.operation.kind': kind };
    if (this.summary !== '') attributes['db.query.summary'] = this.summary;
    if (this.#captureText && this.sql !== '') attributes['db.query.text'] = this.text;
    return Object.freeze(attributes);
  }
}

/** The {@link SqlInfo} of each distinct SQL text, bounded (see the engine's `SqlMemo`). */
export class SqlInfoCache extends SqlMemo<SqlInfo> {
  constructor(captureText: boolean) {
    super((sql) => new SqlInfo(sql, captureText));
  }
}
