/** @rapsqlite/engine/sql: the SQL text tools (tokenize, sanitize, summarize, normalize, fingerprint, classify). */
export { fingerprintSql, hasLiterals, normalizeSql, sanitizeSql, sqlParameters, summarizeSql, SQL_TOKEN_KINDS, tokenizeSql } from './sql/index.ts';
export type { SqlParameters, SqlToken, SqlTokenKind } from './sql/index.ts';
export { isReadOnlySql } from './sql/classify.ts';
