import * as engine from '@rapsqlite/engine';

/**
 * A stand-in for the engine's `normalizeSql` while the engine does not export it: drops comments, collapses
 * whitespace, removes spaces inside parentheses and before commas, and a trailing `;`. It does not replace literals
 * with `?` nor uppercase keywords, so it is weaker than the engine's; both sides of a comparison go through the same
 * function, so a match never depends on which one is in use.
 */
export function fallbackNormalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\(\s/g, '(')
    .replace(/\s([),])/g, '$1')
    .replace(/[\s;]+$/, '')
    .trim();
}

// Looked up on the namespace rather than imported by name, so that this package builds and runs against an engine
// that does not export it yet and uses the real one as soon as it does.
const exported = (engine as unknown as Record<string, unknown>)['normalizeSql'];

/** The SQL normalizer used by `{ normalized }` mock rules: the engine's when it exports one, else the fallback. */
export const defaultNormalizeSql: (sql: string) => string =
  typeof exported === 'function' ? (exported as (sql: string) => string) : fallbackNormalizeSql;
