import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The test data the workplace shares beside the repository (`../shared/data/`), read in place and never copied into
 * the repository: the OpenTelemetry SQL test vectors. `RAPSQLITE_TEST_DATA` names the folder where it lives
 * elsewhere; otherwise the parents of the repository are searched for `shared/data`.
 */
export interface OtelSqlCase {
  readonly name: string;
  readonly input: { readonly 'db.system.name': string; readonly query: string };
  readonly expected: { readonly 'db.query.text': readonly string[]; readonly 'db.query.summary': string };
}

const OTEL_VECTORS = 'otel-db-sql-test-cases.json';

/** The folder holding the shared test data, or undefined when this checkout has none beside it. */
export function sharedDataDir(): string | undefined {
  const named = process.env['RAPSQLITE_TEST_DATA'];
  if (named !== undefined && named !== '') return existsSync(join(named, OTEL_VECTORS)) ? resolve(named) : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'data');
    if (existsSync(join(candidate, OTEL_VECTORS))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The OpenTelemetry SQL vectors and the file they were read from; `cases` is empty when the data is absent. */
export function otelSqlVectors(): { readonly file: string | undefined; readonly cases: readonly OtelSqlCase[] } {
  const dir = sharedDataDir();
  if (dir === undefined) return { file: undefined, cases: [] };
  const file = join(dir, OTEL_VECTORS);
  return { file, cases: JSON.parse(readFileSync(file, 'utf8')) as readonly OtelSqlCase[] };
}
