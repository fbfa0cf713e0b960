import { SqlMemo } from '@rapsqlite/engine/plugin';
import { fingerprintSql, normalizeSql, sanitizeSql, summarizeSql } from '@rapsqlite/engine/sql';

/** What the plugins need to know about one SQL text, each part computed on first use. */
export class SqlInfo {
  readonly sql: string;
  #summary: string | undefined;
  #normalized: string | undefined;
  #fingerprint: string | undefined;
  #sanitized: string | undefined;

  constructor(sql: string) {
    this.sql = sql;
  }

  /** OpenTelemetry's `db.query.summary` (operations and targets): a label of bounded cardinality. */
  get summary(): string {
    let value = this.#summary;
    if (value === undefined) this.#summary = value = summarizeSql(this.sql);
    return value;
  }

  /** The text with constants, parameters, list lengths, comments and spacing normalized. */
  get normalized(): string {
    let value = this.#normalized;
    if (value === undefined) this.#normalized = value = normalizeSql(this.sql);
    return value;
  }

  /** 16 hex digits identifying the normalized text. */
  get fingerprint(): string {
    let value = this.#fingerprint;
    if (value === undefined) this.#fingerprint = value = fingerprintSql(this.sql);
    return value;
  }

  /** The text with literal values replaced by `?` and comments removed. */
  get sanitized(): string {
    let value = this.#sanitized;
    if (value === undefined) this.#sanitized = value = sanitizeSql(this.sql);
    return value;
  }
}

/** The {@link SqlInfo} of each distinct SQL text, bounded (see the engine's `SqlMemo`). */
export class SqlInfoCache extends SqlMemo<SqlInfo> {
  constructor() {
    super((sql) => new SqlInfo(sql));
  }
}

/**
 * Keeps the `summary` label of bounded cardinality: the first `max` distinct summaries are used as they are,
 * later ones become `'other'`. Summaries already name operations and tables only, so `max` is a safety net for
 * applications that generate schema objects (a table per tenant…).
 */
export class SummaryLabels {
  readonly #max: number;
  readonly #seen = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  label(summary: string): string {
    if (summary === '') return 'unknown';
    if (this.#seen.has(summary)) return summary;
    if (this.#seen.size >= this.#max) return 'other';
    this.#seen.add(summary);
    return summary;
  }
}
