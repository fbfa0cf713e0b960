/**
 * Hostile column names: rows must be plain objects whose every column is an own data property, whatever the names
 * (`__proto__`, the names of Object.prototype's methods, quotes, code, the empty string, duplicates, thousands of
 * them), and the library must never touch a prototype. Runs against any handle with the query API.
 */

/** The subset of the query API these checks use (an engine `Database` or a pool). */
export interface NamesTarget {
  get(sql: string, params?: readonly never[]): Promise<unknown>;
  all(sql: string, params?: readonly never[]): Promise<unknown[]>;
  values(sql: string, params?: readonly never[]): Promise<{ columns: ReadonlyArray<{ name: string }>; rows: unknown[][] }>;
  iterate(sql: string, params?: readonly never[], options?: { chunkSize?: number }): AsyncIterableIterator<unknown>;
}

export const HOSTILE_NAMES: readonly string[] = [
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'toLocaleString',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'prototype',
  'then',
  'toJSON',
  'length',
  '',
  ' ',
  '"',
  '""',
  "'",
  '\\',
  '\n',
  '\u2028',
  '}',
  '`${process.exit(9)}`',
  'a": (globalThis.__rapsqlitePwned = 1), "b',
  "'); globalThis.__rapsqlitePwned = 1; ('",
  '0',
  '1',
  '-1',
  '01',
  '1e3',
  '4294967295',
  'NaN',
  'undefined',
  'null',
  'ключ',
  '名前',
  '🦄',
  'e\u0301',
  '\u{10FFFF}',
];

/** An SQL identifier for any name without NUL. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The row a result with these column names and values 0, 1, 2… must give: the last of duplicate names wins. */
function expectedRow(names: readonly string[]): Record<string, number> {
  const row: Record<string, number> = {};
  names.forEach((name, i) => Object.defineProperty(row, name, { value: i, writable: true, enumerable: true, configurable: true }));
  return row;
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** What is wrong with `row` for a result of `names` (empty when nothing is). */
export function rowProblems(row: unknown, names: readonly string[]): string[] {
  const problems: string[] = [];
  if (typeof row !== 'object' || row === null) return [`not an object: ${typeof row}`];
  const proto = Object.getPrototypeOf(row) as unknown;
  if (proto !== Object.prototype && proto !== null) problems.push('the row has a foreign prototype');
  const want = expectedRow(names);
  const gotKeys = Reflect.ownKeys(row).map(String).sort();
  const wantKeys = Object.keys(want).sort();
  if (gotKeys.join('\u0000') !== wantKeys.join('\u0000')) problems.push(`own keys ${JSON.stringify(gotKeys)} instead of ${JSON.stringify(wantKeys)}`);
  for (const key of wantKeys) {
    const d = Object.getOwnPropertyDescriptor(row, key);
    if (d === undefined || !('value' in d)) problems.push(`${JSON.stringify(key)} is not an own data property`);
    else if (d.value !== want[key]) problems.push(`${JSON.stringify(key)} is ${String(d.value)} instead of ${want[key]}`);
  }
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== PROTOTYPE_KEYS) problems.push('Object.prototype changed');
  if ((globalThis as { __rapsqlitePwned?: unknown }).__rapsqlitePwned !== undefined) problems.push('a column name ran as code');
  return problems;
}

/** Runs a SELECT of `names` (values 0, 1, 2…) through every reader and returns the problems found. */
export async function checkNames(db: NamesTarget, names: readonly string[]): Promise<string[]> {
  const sql = `SELECT ${names.map((name, i) => `${i} AS ${quote(name)}`).join(', ')}`;
  const problems: string[] = [];
  const tag = (reader: string, list: string[]) => list.map((p) => `${reader}: ${p}`);
  problems.push(...tag('get', rowProblems(await db.get(sql), names)));
  const all = await db.all(`${sql} UNION ALL ${sql}`);
  if (all.length !== 2) problems.push(`all: ${all.length} rows`);
  for (const row of all) problems.push(...tag('all', rowProblems(row, names)));
  for await (const row of db.iterate(`${sql} UNION ALL ${sql}`, [], { chunkSize: 1 })) problems.push(...tag('iterate', rowProblems(row, names)));
  const values = await db.values(sql);
  const columnNames = values.columns.map((c) => c.name);
  if (JSON.stringify(columnNames) !== JSON.stringify(names)) problems.push(`values: columns ${JSON.stringify(columnNames)}`);
  if (JSON.stringify(values.rows[0]) !== JSON.stringify(names.map((_, i) => i))) problems.push(`values: row ${JSON.stringify(values.rows[0])}`);
  // A row survives the usual handling: JSON, a structured clone, spreading.
  const row = (await db.get(sql)) as Record<string, unknown>;
  const spread = { ...row };
  if (Object.keys(spread).length !== new Set(names).size) problems.push('spreading a row loses columns');
  const json = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
  if (Object.keys(json).length !== new Set(names).size && !names.includes('toJSON')) problems.push('JSON.stringify of a row loses columns');
  if (Object.keys(structuredClone(row)).length !== new Set(names).size) problems.push('structuredClone of a row loses columns');
  return problems;
}

/** The standard battery: the hostile names one by one, all together, with duplicates, long and many. */
export async function hostileBattery(db: NamesTarget): Promise<{ problems: string[]; queries: number }> {
  const problems: string[] = [];
  let queries = 0;
  const run = async (label: string, names: readonly string[]) => {
    queries++;
    for (const p of await checkNames(db, names)) problems.push(`${label}: ${p}`);
  };
  for (const name of HOSTILE_NAMES) await run(JSON.stringify(name), [name]);
  await run('all hostile names together', HOSTILE_NAMES);
  await run('duplicates', ['a', 'b', 'a', '__proto__', '__proto__', '', '']);
  await run('a 100 000-character name', ['x'.repeat(100_000)]);
  await run('2 000 distinct names (the most SQLite allows in one result)', Array.from({ length: 2000 }, (_, i) => `c${i}`));
  await run('2 000 hostile-looking names', Array.from({ length: 2000 }, (_, i) => `${HOSTILE_NAMES[i % HOSTILE_NAMES.length]}${i}`));
  return { problems, queries };
}
