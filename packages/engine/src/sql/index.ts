export { fingerprintSql } from './fingerprint.ts';
export { normalizeSql } from './normalize.ts';
export { sqlParameters } from './parameter-names.ts';
export type { SqlParameters } from './parameter-names.ts';
export { hasLiterals, sanitizeSql } from './sanitize.ts';
export { summarizeSql } from './summarize.ts';
export { SQL_TOKEN_KINDS, tokenizeSql } from './tokenize.ts';
export type { SqlToken, SqlTokenKind } from './tokenize.ts';
