import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, call, closeDb, openDb, type Sqlite3 } from '../helpers.ts';

describe.each(IMPLEMENTATIONS)('trace and profile events: %s', (_name, sqlite3) => {
  let db: Sqlite3;
  beforeEach(async () => {
    db = await openDb(sqlite3);
  });
  afterEach(() => closeDb(db));

  const settle = () => new Promise((resolve) => db.wait(() => setImmediate(resolve)));

  it('traces each statement as it runs, with bound values expanded', async () => {
    const traced: string[] = [];
    db.on('trace', (sql: string) => traced.push(sql));
    db.serialize(() => {
      db.run('CREATE TABLE foo (id int, txt text, f real, b blob)');
      db.run('INSERT INTO foo VALUES (?, ?, ?, ?)', 1, "it's", 1.5, Buffer.from([0xab]));
      db.get('SELECT * FROM foo WHERE id = :id AND f > ?', { ':id': 1, 2: 1099511627776 });
      db.get('SELECT ? AS d, ? AS n', new Date(1000), null);
    });
    await settle();
    expect(traced).toEqual([
      'CREATE TABLE foo (id int, txt text, f real, b blob)',
      "INSERT INTO foo VALUES (1, 'it''s', 1.5, x'ab')",
      'SELECT * FROM foo WHERE id = 1 AND f > 1099511627776.0',
      'SELECT 1000.0 AS d, NULL AS n',
    ]);
  });

  it('formats REAL values in traces as SQLite’s %!.15g', async () => {
    const traced: string[] = [];
    db.on('trace', (sql: string) => traced.push(sql));
    await call(db, 'get', 'SELECT ? a, ? b, ? c, ? d, ? e, ? f', [0.1, 1 / 3, 1e300, -Infinity, 1e15, 123456789012345680000]);
    await settle();
    expect(traced).toEqual(['SELECT 0.1 a, 0.333333333333333 b, 1.0e+300 c, -Inf d, 1.0e+15 e, 1.23456789012346e+20 f']);
  });

  it('traces every statement of an exec script', async () => {
    const traced: string[] = [];
    db.on('trace', (sql: string) => traced.push(sql));
    await call(db, 'exec', 'CREATE TABLE w (a);  INSERT INTO w VALUES (1); -- done');
    await settle();
    expect(traced).toEqual(['CREATE TABLE w (a);', 'INSERT INTO w VALUES (1);']);
  });

  it('stops tracing when the last listener goes, even with _events patched', async () => {
    const trace = () => {
      throw new Error('trace listener still called');
    };
    db.on('trace', () => undefined);
    db.removeAllListeners('trace');
    db.on('trace', trace);
    db.removeListener('trace', trace);
    db._events['trace'] = trace;
    expect((await call(db, 'run', 'CREATE TABLE foo (id int)')).err).toBeNull();
    await settle();
  });

  it('profiles each statement with its unexpanded text and a time in milliseconds, before the next tick', async () => {
    const profiled: Array<[string, number]> = [];
    db.on('profile', (sql: string, ms: number) => profiled.push([sql, ms]));
    await call(db, 'run', 'CREATE TABLE foo (id int)');
    await new Promise((resolve) => setImmediate(resolve));
    await call(db, 'get', 'SELECT * FROM foo WHERE id = ?', 5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(profiled.map(([sql]) => sql)).toEqual(['CREATE TABLE foo (id int)', 'SELECT * FROM foo WHERE id = ?']);
    for (const [, ms] of profiled) expect(typeof ms === 'number' && ms >= 0).toBe(true);
  });
});
