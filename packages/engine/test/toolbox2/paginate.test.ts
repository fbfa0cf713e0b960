import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/index.ts';
import { paginate, type Page, type PaginateOptions } from '../../src/toolbox/paginate.ts';
import { withQueryTools } from '../../src/toolbox/query-tools.ts';
import { sql } from '../../src/toolbox/sql-tag.ts';
import { openWith, rejection } from './helpers.ts';

const SCHEMA = `CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT NOT NULL, score INTEGER NOT NULL, created DATETIME NOT NULL, title TEXT);
  CREATE INDEX posts_score_id ON posts (score, id);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 95)
  INSERT INTO posts SELECT x, CASE x % 2 WHEN 0 THEN 'ada' ELSE 'bob' END, x % 7, datetime('2026-01-01', '+' || x || ' hours'), 'post ' || x FROM c;`;

type Post = { id: number; score: number };

async function walk(db: Database, query: string, options: PaginateOptions): Promise<{ pages: Page<Post>[]; ids: number[] }> {
  const pages: Page<Post>[] = [];
  let after: string | undefined;
  do {
    const page = await paginate<Post>(db, query, { ...options, ...(after === undefined ? {} : { after }) });
    pages.push(page);
    after = page.next;
  } while (after !== undefined);
  return { pages, ids: pages.flatMap((p) => p.rows.map((r) => r.id)) };
}

describe('keyset pagination', () => {
  it('walks every row once, forward, by a single key', async () => {
    const db = await openWith(SCHEMA);
    const { pages, ids } = await walk(db, 'SELECT id, score FROM posts', { orderBy: ['id'], limit: 10 });
    expect(ids).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    expect(pages.map((p) => p.rows.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(pages[0]?.previous).toBeUndefined();
    expect(pages.at(-1)?.next).toBeUndefined();
  });

  it('orders by a tuple, descending or mixed, as ORDER BY does', async () => {
    const db = await openWith(SCHEMA);
    for (const orderBy of [
      [{ column: 'score', direction: 'desc' }, { column: 'id', direction: 'desc' }],
      [{ column: 'score', direction: 'asc' }, { column: 'id', direction: 'desc' }],
      ['score', 'id'],
    ] as const) {
      const order = orderBy.map((k) => (typeof k === 'string' ? `${k} ASC` : `${k.column} ${k.direction.toUpperCase()}`)).join(', ');
      const expected = (await db.all<{ id: number }>(`SELECT id FROM posts WHERE author = ? ORDER BY ${order}`, ['ada'])).map((r) => r.id);
      const { ids } = await walk(db, 'SELECT id, score FROM posts WHERE author = ?', { params: ['ada'], orderBy, limit: 7 });
      expect(ids).toEqual(expected);
    }
  });

  it('goes backward with previous tokens, returning rows in order', async () => {
    const db = await openWith(SCHEMA);
    const options = { orderBy: ['score', 'id'], limit: 8 } as const;
    const { pages } = await walk(db, 'SELECT id, score FROM posts', options);
    const last = pages.at(-1)!;
    const back = await paginate<Post>(db, 'SELECT id, score FROM posts', { ...options, before: last.previous! });
    expect(back.rows).toEqual(pages.at(-2)!.rows);
    let page: Page<Post> = last;
    const seen: number[][] = [];
    while (page.previous !== undefined) {
      page = await paginate<Post>(db, 'SELECT id, score FROM posts', { ...options, before: page.previous });
      seen.unshift(page.rows.map((r) => r.id));
    }
    expect(seen).toEqual(pages.slice(0, -1).map((p) => p.rows.map((r) => r.id)));
    // A backward page can go forward again from where it was read.
    const forward = await paginate<Post>(db, 'SELECT id, score FROM posts', { ...options, after: back.next! });
    expect(forward.rows).toEqual(last.rows);
  });

  it('is stable under concurrent inserts and deletes: no existing row is skipped or repeated', async () => {
    const db = await openWith(SCHEMA);
    const query = 'SELECT id, score FROM posts';
    const options = { orderBy: [{ column: 'score', direction: 'desc' as const }, 'id'], limit: 10 };
    const before = (await db.all<{ id: number }>('SELECT id FROM posts ORDER BY score DESC, id')).map((r) => r.id);
    let page = await paginate<Post>(db, query, options);
    const ids = page.rows.map((r) => r.id);
    let round = 0;
    while (page.next !== undefined) {
      // Writers add rows everywhere in the order (the first page and the unread ones) between two requests.
      await db.run('INSERT INTO posts (author, score, created) VALUES (?, ?, ?)', ['eve', round % 7, '2026-06-01']);
      await db.run('INSERT INTO posts (author, score, created) VALUES (?, ?, ?)', ['eve', 6, '2026-06-01']);
      round++;
      page = await paginate<Post>(db, query, { ...options, after: page.next });
      ids.push(...page.rows.map((r) => r.id));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id <= 95)).toEqual(before);
  });

  it('takes named parameters, a query from the sql tag and the integers mode', async () => {
    const db = await openWith(`${SCHEMA} CREATE TABLE big (id INTEGER PRIMARY KEY); INSERT INTO big VALUES (9223372036854775805), (9223372036854775806), (9223372036854775807);`);
    const named = await paginate<Post>(db, 'SELECT id, score FROM posts WHERE author = :who AND score >= :min', { params: { who: 'bob', min: 3 }, orderBy: ['id'], limit: 2 });
    expect(named.rows.map((r) => r.id)).toEqual([3, 5]);
    const second = await paginate<Post>(db, 'SELECT id, score FROM posts WHERE author = :who AND score >= :min', { params: { who: 'bob', min: 3 }, orderBy: ['id'], limit: 2, after: named.next! });
    expect(second.rows.map((r) => r.id)).toEqual([11, 13]);
    const tagged = await paginate<Post>(db, sql`SELECT id, score FROM posts WHERE author = ${'ada'}`, { orderBy: ['id'], limit: 3 });
    expect(tagged.rows.map((r) => r.id)).toEqual([2, 4, 6]);
    const big1 = await paginate<{ id: bigint }>(db, 'SELECT id FROM big', { orderBy: ['id'], limit: 2, integers: 'bigint' });
    const big2 = await paginate<{ id: bigint }>(db, 'SELECT id FROM big', { orderBy: ['id'], limit: 2, integers: 'bigint', after: big1.next! });
    expect([...big1.rows, ...big2.rows].map((r) => r.id)).toEqual([2n ** 63n - 3n, 2n ** 63n - 2n, 2n ** 63n - 1n]);
  });

  it('makes opaque, URL-safe tokens and refuses malformed, altered or foreign ones', async () => {
    const db = await openWith(SCHEMA);
    const options = { orderBy: ['id'], limit: 5, secret: 'server secret' } as const;
    const page = await paginate(db, 'SELECT id, title FROM posts', options);
    const token = page.next!;
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(token).not.toContain('post');
    const code = 'ERR_RAPSQLITE_PAGINATION_CURSOR';
    const [body, tag] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify([1, JSON.parse(Buffer.from(body, 'base64url').toString())[1], ['n:90']])).toString('base64url');
    for (const [bad, reason] of [
      ['garbage', 'malformed'],
      ['', 'malformed'],
      [`${body}.${tag}x`, 'signature'],
      [`${forged}.${tag}`, 'signature'],
      [`${body.slice(0, -2)}AA.${tag}`, 'signature'],
      ['a'.repeat(9000) + '.b', 'malformed'],
    ] as const) {
      expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { ...options, after: bad }))).toMatchObject({ code, reason });
    }
    expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { ...options, secret: 'another', after: token }))).toMatchObject({ code, reason: 'signature' });
    expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { ...options, secret: undefined as never, after: token }))).toMatchObject({ code, reason: 'signature' });
    expect(await rejection(paginate(db, 'SELECT id FROM posts', { ...options, after: token }))).toMatchObject({ code, reason: 'query' });
    expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { ...options, orderBy: [{ column: 'id', direction: 'desc' }], after: token }))).toMatchObject({ code, reason: 'query' });
    expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { ...options, after: 42 as never }))).toMatchObject({ code, reason: 'malformed' });
  });

  it('refuses NULL or missing keys, and queries that order or limit themselves', async () => {
    const db = await openWith(SCHEMA);
    // A key the query does not return: SQLite says so when it compiles the page's ORDER BY.
    expect(await rejection(paginate(db, 'SELECT id, title FROM posts', { orderBy: ['score'], limit: 5 }))).toMatchObject({ code: 'SQLITE_ERROR' });
    expect(await rejection(paginate(db, 'SELECT id, NULL AS k FROM posts', { orderBy: ['k', 'id'], limit: 5 }))).toMatchObject({ code: 'ERR_RAPSQLITE_PAGINATION_KEY', column: 'k' });
    for (const query of ['SELECT * FROM posts ORDER BY id', 'SELECT * FROM posts LIMIT 3', 'SELECT 1; SELECT 2']) {
      expect(await rejection(paginate(db, query, { orderBy: ['id'] }))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    }
    for (const bad of [{ orderBy: [] }, { orderBy: ['id'], limit: 0 }, { orderBy: ['id'], after: 'a', before: 'b' }, { orderBy: ['id'], offset: 10 }, { orderBy: [{ column: 'id', direction: 'up' }] }]) {
      expect(await rejection(paginate(db, 'SELECT id FROM posts', bad as never))).toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    }
    // Window functions keep their own ORDER BY inside OVER (…).
    const ranked = await paginate(db, 'SELECT id, rank() OVER (ORDER BY score) AS r FROM posts', { orderBy: ['id'], limit: 2 });
    expect(ranked.rows).toHaveLength(2);
  });

  it('converts and shapes page rows through the tools handle, keeping raw keys in the tokens', async () => {
    const db = withQueryTools(await openWith(SCHEMA), { converters: true });
    const options = { orderBy: [{ column: 'created', direction: 'desc' as const }, { column: 'id', direction: 'desc' as const }], limit: 4 };
    const first = await db.paginate<{ id: number; created: Date }>('SELECT id, created FROM posts', options);
    expect(first.rows[0]).toEqual({ id: 95, created: new Date('2026-01-04T23:00:00Z') });
    const second = await db.paginate<number>('SELECT id, created FROM posts', { ...options, pluck: true, after: first.next! });
    expect(second.rows).toEqual([91, 90, 89, 88]);
  });
});
