import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database, type SqlValue } from '../../src/index.ts';
import { dump } from '../../src/toolbox/dump.ts';
import { restore } from '../../src/toolbox/restore.ts';
import { quoteIdentifier } from '../../src/toolbox/sql-text.ts';

async function text(iterable: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of iterable) out += chunk;
  return out;
}

const value: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom("'", "''", '\n', '\u0000', 'a\u0000b', ';', '--', '/*', 'END;'),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
  fc.constant(null),
);

const column = fc.record({
  name: fc.constantFrom('a', 'B', 'c d', 'e"f', 'ü', '列', 'rowid', 'x_1'),
  type: fc.constantFrom('INTEGER', 'TEXT', 'REAL', 'BLOB', 'NUMERIC', '', 'VARCHAR(10)'),
});

const table = fc.record({
  name: fc.constantFrom('t', 'Orders', 'my table', 'q"uote', 'ünï', '数据'),
  key: fc.constantFrom('none', 'integer', 'text', 'without rowid'),
  columns: fc.uniqueArray(column, { minLength: 1, maxLength: 4, selector: (c) => c.name.toLowerCase() }),
  rows: fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { maxLength: 12 }),
  deletes: fc.array(fc.nat(11), { maxLength: 3 }),
});

const database = fc.uniqueArray(table, { minLength: 1, maxLength: 3, selector: (t) => t.name.toLowerCase() });

/** Drops every table, so two connections serve every generated case (a worker per case would dominate the run). */
async function empty(db: Database): Promise<void> {
  const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  for (const { name } of tables) await db.exec(`DROP TABLE ${quoteIdentifier(name)}`);
}

describe('dump property', () => {
  let source: Database;
  let copy: Database;
  beforeAll(async () => {
    source = await open(':memory:');
    copy = await open(':memory:');
  });
  afterAll(async () => {
    await source.close();
    await copy.close();
  });

  it('dump(restore(dump(x))) === dump(x) on generated databases, with exactly the same rows, and the copy passes integrity_check', async () => {
    await fc.assert(
      fc.asyncProperty(database, async (tables) => {
        await empty(source);
        await empty(copy);
        for (const t of tables) {
          const defs = t.columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`);
          let suffix = '';
          if (t.key === 'integer') defs.unshift('"id" INTEGER PRIMARY KEY');
          if (t.key === 'text' || t.key === 'without rowid') defs.unshift('"id" TEXT PRIMARY KEY');
          if (t.key === 'without rowid') suffix = ' WITHOUT ROWID';
          await source.exec(`CREATE TABLE ${quoteIdentifier(t.name)} (${defs.join(', ')})${suffix}`);
          const names = t.columns.map((c) => quoteIdentifier(c.name));
          const keyed = t.key === 'text' || t.key === 'without rowid';
          const sql = `INSERT INTO ${quoteIdentifier(t.name)} (${[...(keyed ? ['"id"'] : []), ...names].join(', ')}) VALUES (${[...(keyed ? ['?'] : []), ...names.map(() => '?')].join(', ')})`;
          await source.runMany(
            sql,
            t.rows.map((row, i) => [...(keyed ? [`k${i}`] : []), ...row.slice(0, t.columns.length)]),
          );
          for (const d of t.deletes) await source.run(`DELETE FROM ${quoteIdentifier(t.name)} WHERE rowid = ?`, [d + 1]).catch(() => undefined);
        }
        const first = await text(dump(source, { chunkSize: 256 }));
        await restore(copy, first);
        const second = await text(dump(copy, { chunkSize: 4096 }));
        expect(second).toBe(first);
        // Idempotence alone would let a lossy format pass: the rows themselves must be exactly the same.
        for (const t of tables) {
          const rowid = t.key === 'without rowid' ? '' : '_rowid_ AS "__rowid", ';
          const sql = `SELECT ${rowid}* FROM ${quoteIdentifier(t.name)}`;
          const original = await source.values(sql, undefined, { integers: 'bigint' });
          const restored = await copy.values(sql, undefined, { integers: 'bigint' });
          expect(restored.rows).toEqual(original.rows);
        }
        expect(await copy.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
      }),
      { numRuns: 100 },
    );
  });
});
