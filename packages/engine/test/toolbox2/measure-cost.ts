/**
 * What the query tools cost on the caller's thread, measured without the worker: run with
 * `node test/toolbox2/measure-cost.ts` from packages/engine. Prints nanoseconds per call (median of 7 runs).
 * Not a test: timings on a shared machine are noise-prone, so nothing here asserts a speed.
 */
import { adaptParams, resolveAdapters } from '../../src/toolbox/adapters.ts';
import { compileConverters, resolveConverters } from '../../src/toolbox/converters.ts';
import { expandArrayParams } from '../../src/toolbox/in-arrays.ts';
import { encodeCall, resolveQueryTools } from '../../src/toolbox/query-tools.ts';
import { resolveShape, rowBuilder } from '../../src/toolbox/row-shapes.ts';

function measure(name: string, iterations: number, fn: () => unknown): void {
  const runs: number[] = [];
  let sink: unknown;
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn();
    runs.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name.padEnd(72)} ${runs[3]!.toFixed(1).padStart(9)} ns${sink === Symbol.iterator ? '' : ''}`);
}

const sql = 'SELECT * FROM users WHERE id = ? AND team = ? AND active = ?';
const params = [42, 'red', 1];
const defaults = resolveAdapters(undefined);
const tools = resolveQueryTools();
measure('adaptParams, default adapters, 3 plain parameters (nothing to adapt)', 1_000_000, () => adaptParams(params, defaults, sql));
measure('expandArrayParams, 3 plain parameters (no array: SQL not read)', 1_000_000, () => expandArrayParams(sql, params, defaults));
measure('encodeCall (arrays + adapters), no tools configured, 3 plain parameters', 1_000_000, () => encodeCall(tools, sql, params));
measure('resolveShape, no shape option', 1_000_000, () => resolveShape(undefined));
const dateParams = [new Date(0), true, 'x'];
measure('adaptParams, a Date and a boolean among 3 parameters', 1_000_000, () => adaptParams(dateParams, defaults, sql));
const ids = Array.from({ length: 1000 }, (_, i) => i);
measure('expandArrayParams, IN (?) with 1 000 ids (cached plan, JSON text)', 10_000, () => expandArrayParams('SELECT * FROM users WHERE id IN (?)', [ids], defaults));

const columns = [
  { name: 'id', type: 'INTEGER', table: 'events' },
  { name: 'title', type: 'TEXT', table: 'events' },
  { name: 'at', type: 'DATETIME', table: 'events' },
  { name: 'done', type: 'BOOLEAN', table: 'events' },
];
const set = resolveConverters(true);
measure('compileConverters, shape without converted columns (gives undefined)', 1_000_000, () => compileConverters(columns.slice(0, 2), set));
const convert = compileConverters(columns, set)!;
const rows = Array.from({ length: 5000 }, (_, i) => [i, `event ${i}`, '2026-03-01 09:30:00', i % 2]);
measure('converting 5 000 rows (DATETIME text → Date, BOOLEAN → boolean), per 5 000', 50, () => {
  for (const row of rows) {
    row[2] = '2026-03-01 09:30:00';
    row[3] = 1;
    convert(row, 0);
  }
});
const build = rowBuilder(columns, 'object');
measure('building 5 000 object rows from arrays with rowBuilder, per 5 000', 50, () => rows.map((r) => build(r, 0)));
const { parseDateText } = await import('../../src/toolbox/converters.ts');
measure("parseDateText('2026-03-01 09:30:00')", 200_000, () => parseDateText('2026-03-01 09:30:00'));
measure("new Date('2026-03-01T09:30:00Z') (V8's own parser, for comparison)", 200_000, () => new Date('2026-03-01T09:30:00Z'));
