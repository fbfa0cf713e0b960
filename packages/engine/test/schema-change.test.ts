import { describe, expect, it } from 'vitest';
import { open, type Database } from '../src/index.ts';
import { openTemp } from './helpers.ts';

/** Runs `sql` on a second connection to the same file, as another process or a pool's writer would. */
async function elsewhere(db: Database, sql: string): Promise<void> {
  const other = await open(db.path);
  try {
    await other.exec(sql);
  } finally {
    await other.close();
  }
}

// Column names are cached with each prepared statement. With the companion the worker learns of another
// connection's schema change when SQLite recompiles a statement; without it, from PRAGMA schema_version before each
// batch. Both paths must give the same answers.
for (const companion of [true, false]) {
  describe(`column names after another connection changes the schema (${companion ? 'companion' : 'no companion'})`, () => {
    async function fixture(): Promise<Database> {
      if (!companion) process.env['RAPSQLITE_NO_COMPANION'] = '1';
      try {
        const db = await openTemp();
        await db.exec('CREATE TABLE t (a INTEGER, b INTEGER); INSERT INTO t VALUES (1, 2)');
        return db;
      } finally {
        delete process.env['RAPSQLITE_NO_COMPANION'];
      }
    }

    it('a cached statement returns the renamed column', async () => {
      const db = await fixture();
      const sql = 'SELECT * FROM t WHERE rowid = ?';
      expect(await db.get(sql, [1])).toEqual({ a: 1, b: 2 });
      await elsewhere(db, 'ALTER TABLE t RENAME COLUMN a TO x');
      expect(await db.get(sql, [1])).toEqual({ x: 1, b: 2 });
    });

    it('a statement recompiled while it returned no row still gets the new names later', async () => {
      const db = await fixture();
      const sql = 'SELECT * FROM t WHERE rowid = ?';
      expect(await db.get(sql, [1])).toEqual({ a: 1, b: 2 });
      await elsewhere(db, 'ALTER TABLE t RENAME COLUMN a TO x');
      // Recompiled here, with nothing to return; another statement's result is built next.
      expect(await db.get(sql, [99])).toBeUndefined();
      expect(await db.get('SELECT 7 AS seven')).toEqual({ seven: 7 });
      expect(await db.get(sql, [1])).toEqual({ x: 1, b: 2 });
      expect(await db.all(sql, [1])).toEqual([{ x: 1, b: 2 }]);
    });

    it('a prepared statement, a cursor and values() follow an added column', async () => {
      const db = await fixture();
      const statement = await db.prepare('SELECT * FROM t');
      expect(statement.columns.map((c) => c.name)).toEqual(['a', 'b']);
      expect(await statement.all()).toEqual([{ a: 1, b: 2 }]);
      await elsewhere(db, "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'z'; ALTER TABLE t RENAME COLUMN b TO y");
      expect((await db.prepare('SELECT * FROM t')).columns.map((c) => c.name)).toEqual(['a', 'y', 'c']);
      expect(await statement.all()).toEqual([{ a: 1, y: 2, c: 'z' }]);
      const streamed: unknown[] = [];
      for await (const row of db.iterate('SELECT * FROM t')) streamed.push(row);
      expect(streamed).toEqual([{ a: 1, y: 2, c: 'z' }]);
    });

    it('names changed by this connection, inside and outside a transaction', async () => {
      const db = await fixture();
      const sql = 'SELECT * FROM t';
      expect(await db.get(sql)).toEqual({ a: 1, b: 2 });
      await db.transaction(async (tx) => {
        await tx.run('ALTER TABLE t RENAME COLUMN a TO m');
        expect(await tx.get(sql)).toEqual({ m: 1, b: 2 });
      });
      expect(await db.get(sql)).toEqual({ m: 1, b: 2 });
      await expect(
        db.transaction(async (tx) => {
          await tx.run('ALTER TABLE t RENAME COLUMN m TO n');
          expect(await tx.get(sql)).toEqual({ n: 1, b: 2 });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await db.get(sql)).toEqual({ m: 1, b: 2 });
    });

    it('many statements cached across repeated renames', async () => {
      const db = await fixture();
      const queries = Array.from({ length: 20 }, (_, i) => `SELECT *, ${i} AS k FROM t`);
      for (let round = 0; round < 4; round++) {
        const name = `c${round}`;
        const previous = round === 0 ? 'a' : `c${round - 1}`;
        for (const sql of queries.slice(0, 10)) expect(Object.keys((await db.get(sql)) as object)[0]).toBe(previous);
        await elsewhere(db, `ALTER TABLE t RENAME COLUMN ${previous} TO ${name}`);
        // Every cached statement, whichever runs first after the change, answers with the new name.
        for (const sql of [...queries].reverse()) expect(Object.keys((await db.get(sql)) as object)[0]).toBe(name);
      }
    });
  });
}
