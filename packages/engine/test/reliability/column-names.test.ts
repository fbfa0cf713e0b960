import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database } from '../../src/index.ts';
import { checkNames, hostileBattery, HOSTILE_NAMES } from './names.ts';
import { killChildren, report, runChild, scaled, seedFor } from './support.ts';

const RUNNER = new URL('./children/names-runner.ts', import.meta.url);

let db: Database;
beforeAll(async () => {
  db = await open(':memory:');
});
afterAll(() => db.close());
afterEach(killChildren);

describe('hostile column names', () => {
  it('gives plain rows with every column as an own property, through get, all, iterate and values', async () => {
    const { problems, queries } = await hostileBattery(db);
    report('column names engine', { names: HOSTILE_NAMES.length, queries, problems: problems.length });
    expect(problems).toEqual([]);
  });

  it('holds for random names of every plane, duplicates included (property)', async () => {
    const seed = seedFor('names-random');
    const name = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...HOSTILE_NAMES)).filter((n) => !n.includes('\0'));
    await fc.assert(
      fc.asyncProperty(fc.array(name, { minLength: 1, maxLength: 40 }), async (names) => (await checkNames(db, names)).length === 0),
      { numRuns: scaled(60, 1000), seed },
    );
  });

  it('refuses a column name with NUL with a coded SQLite error (SQL text cannot carry it)', async () => {
    await expect(db.get('SELECT 1 AS "a\0b"')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('gives the same rows when code generation from strings is disabled', async () => {
    const result = await runChild<{ problems: string[]; queries: number; codegen: boolean }>(RUNNER, [], {
      nodeFlags: ['--disallow-code-generation-from-strings'],
    });
    report('column names engine without code generation', { queries: result.queries, problems: result.problems.length });
    expect(result.codegen).toBe(false);
    expect(result.problems).toEqual([]);
  });
});
