import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Database, type Middleware } from '../../src/index.ts';
import { paginate } from '../../src/toolbox/paginate.ts';

const ROWS = 1_000_000;
const visits = new URL('./fixtures/visits.mjs', import.meta.url);
let db: Database;
let folder: string;
const ran: string[] = [];
// Records the SQL that paginate() really sends, to read its plan.
const capture: Middleware = { name: 'capture', wrap: (next) => (op) => (ran.push(op.sql), next(op)) };

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'rapsqlite-paginate-'));
  db = await open(join(folder, 'big.db'), { middleware: [capture], synchronous: 'off' });
  await db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, payload TEXT NOT NULL);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS})
    INSERT INTO big SELECT x, x % 100, 'row ' || x FROM c;
    CREATE INDEX big_grp_id ON big (grp, id);`);
  await db.function('visit', { module: visits, export: 'visit' });
  await db.function('visits', { module: visits, export: 'visits' });
}, 120_000);

afterAll(async () => {
  await db.close();
  rmSync(folder, { recursive: true, force: true });
});

async function plan(sql: string, params: unknown[]): Promise<string[]> {
  return (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params as never)).map((r) => r.detail);
}

describe('keyset pagination over 1 000 000 rows', () => {
  it('reads every page by an index range: each page looks at its own rows plus one, from the first page to the last', async () => {
    const query = 'SELECT id, payload FROM big WHERE visit(id)';
    const costs: number[] = [];
    let after: string | undefined;
    let total = 0;
    let last = 0;
    let pages = 0;
    await db.get('SELECT visits()');
    do {
      const page = await paginate<{ id: number }>(db, query, { orderBy: ['id'], limit: 1000, ...(after === undefined ? {} : { after }) });
      const seen = (await db.get<{ n: number }>('SELECT visits() AS n'))!.n;
      costs.push(seen - page.rows.length);
      expect(page.rows[0]!.id).toBe(last + 1);
      last = page.rows.at(-1)!.id;
      total += page.rows.length;
      pages++;
      after = page.next;
    } while (after !== undefined);
    expect(total).toBe(ROWS);
    expect(pages).toBe(1000);
    // One extra row per page (the one that says a next page exists), none on the last: never the rows before it.
    expect(new Set(costs.slice(0, -1))).toEqual(new Set([1]));
    expect(costs.at(-1)).toBe(0);
    const pageSql = ran.filter((s) => s.includes('"rapsqlite_page"')).at(-1)!;
    expect(pageSql).toBe('SELECT * FROM (SELECT id, payload FROM big WHERE visit(id)) AS "rapsqlite_page" WHERE "id" > ? ORDER BY "id" ASC LIMIT ?');
    const detail = await plan(pageSql, [999_000, 1001]);
    expect(detail).toEqual(['SEARCH big USING INTEGER PRIMARY KEY (rowid>?)']);
    expect(pageSql).not.toMatch(/OFFSET/i);
  }, 120_000);

  it('costs what an OFFSET query costs only on the first page (the contrast)', async () => {
    await db.get('SELECT visits()');
    await db.all('SELECT id FROM big WHERE visit(id) ORDER BY id LIMIT 1000 OFFSET 900000');
    expect((await db.get<{ n: number }>('SELECT visits() AS n'))!.n).toBe(901_000);
  });

  it('uses a composite index for a tuple key, forward and backward, at the same cost far into the table', async () => {
    const query = 'SELECT grp, id FROM big WHERE visit(id)';
    const options = { orderBy: ['grp', 'id'], limit: 500 } as const;
    let page = await paginate<{ grp: number; id: number }>(db, query, options);
    // Jump far, 200 pages in, every page reading its rows plus one (two queries where a group ends).
    for (let i = 0; i < 200; i++) {
      await db.get('SELECT visits()');
      page = await paginate(db, query, { ...options, after: page.next! });
      expect((await db.get<{ n: number }>('SELECT visits() AS n'))!.n).toBe(page.rows.length + 1);
    }
    // 100 000 rows in, ordered by (grp, id): each group holds 10 000 ids, so this is group 10's first row.
    expect(page.rows[0]).toEqual({ grp: 10, id: 10 });
    await db.get('SELECT visits()');
    const next = await paginate<{ id: number }>(db, query, { ...options, after: page.next! });
    expect((await db.get<{ n: number }>('SELECT visits() AS n'))!.n).toBe(next.rows.length + 1);
    const back = await paginate<{ id: number }>(db, query, { ...options, before: next.previous! });
    expect(back.rows).toEqual(page.rows);
    expect((await db.get<{ n: number }>('SELECT visits() AS n'))!.n).toBe(back.rows.length + 1);
    // The queries of a page after (grp, id): same group after the cursor, then the following groups; each one seek.
    const pageSqls = [...new Set(ran.filter((q) => q.startsWith('SELECT * FROM (SELECT grp, id') && q.includes('"rapsqlite_page" WHERE')))];
    const plans = await Promise.all(pageSqls.map((q) => plan(q, (q.match(/\?/g) ?? []).map(() => 1))));
    expect(Object.fromEntries(pageSqls.map((q, i) => [q.slice(q.indexOf('"rapsqlite_page" ') + 17), plans[i]]))).toEqual({
      'WHERE "grp" = ? AND "id" > ? ORDER BY "grp" ASC, "id" ASC LIMIT ?': ['SEARCH big USING COVERING INDEX big_grp_id (grp=? AND id>?)'],
      'WHERE "grp" > ? ORDER BY "grp" ASC, "id" ASC LIMIT ?': ['SEARCH big USING COVERING INDEX big_grp_id (grp>?)'],
      'WHERE "grp" = ? AND "id" < ? ORDER BY "grp" DESC, "id" DESC LIMIT ?': ['SEARCH big USING COVERING INDEX big_grp_id (grp=? AND id<?)'],
      'WHERE "grp" < ? ORDER BY "grp" DESC, "id" DESC LIMIT ?': ['SEARCH big USING COVERING INDEX big_grp_id (grp<?)'],
    });
  }, 120_000);
});
