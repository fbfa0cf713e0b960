import { normalizeSql } from '@rapsqlite/engine/sql';

/**
 * The SQL normalizer of `{ normalized }` mock rules: the engine's `normalizeSql`, the same key the metrics plugin
 * groups statements by (comments, whitespace, literal values, parameter style and keyword case do not matter).
 */
export const defaultNormalizeSql: (sql: string) => string = normalizeSql;
