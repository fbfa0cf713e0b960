import { describe, expect, it } from 'vitest';
import { summarizeSql } from '../../src/sql/summarize.ts';

function expectSummaries(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [sql, summary] of cases) expect(summarizeSql(sql), sql).toBe(summary);
}

describe('summarizeSql', () => {
  it('names the operation and table of each DML statement form', () => {
    expectSummaries([
      ['SELECT id FROM users WHERE id = ?', 'SELECT users'],
      ['UPDATE users SET name = ? WHERE id = ?', 'UPDATE users'],
      ['UPDATE OR IGNORE users SET name = ?', 'UPDATE users'],
      ['DELETE FROM sessions WHERE expires < ?', 'DELETE sessions'],
      ['INSERT INTO kv (k, v) VALUES (?, ?)', 'INSERT kv'],
      ['INSERT OR REPLACE INTO kv VALUES (?, ?)', 'INSERT kv'],
      ['REPLACE INTO kv VALUES (?, ?)', 'REPLACE kv'],
      ['INSERT INTO kv DEFAULT VALUES', 'INSERT kv'],
      ['VALUES (1), (2)', 'VALUES'],
    ]);
  });

  it('keeps schema prefixes, quotes and case of names', () => {
    expectSummaries([
      ['select * from main.Users', 'select main.Users'],
      ['SELECT * FROM "order items" JOIN [Line Items] JOIN `x`', 'SELECT "order items" [Line Items] `x`'],
    ]);
  });

  it('does not take an upsert, a RETURNING clause or a replace() call for another operation', () => {
    expectSummaries([
      ['INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *', 'INSERT t'],
      ["SELECT replace(name, 'a', 'b') FROM t", 'SELECT t'],
      ['DELETE FROM t WHERE id = ? RETURNING id', 'DELETE t'],
    ]);
  });

  it('adds every table of a FROM clause: joins, commas, parenthesized joins and table-valued functions', () => {
    expectSummaries([
      ['SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.a_id NATURAL JOIN c', 'SELECT a b c'],
      ['SELECT * FROM a x, b AS y, c', 'SELECT a b c'],
      ['SELECT * FROM a INDEXED BY a_idx, b NOT INDEXED', 'SELECT a b'],
      ['SELECT * FROM a JOIN b USING (id, kind), c', 'SELECT a b c'],
      ['SELECT * FROM (a JOIN b) JOIN c', 'SELECT a b c'],
      ['SELECT value FROM json_each(?) j, t', 'SELECT json_each t'],
      ['UPDATE t SET total = s.total FROM (SELECT id, sum(n) AS total FROM u GROUP BY id) s', 'UPDATE t SELECT u'],
    ]);
  });

  it('stops adding tables at the end of the FROM clause', () => {
    expectSummaries([
      ['SELECT * FROM a WHERE x IN (?, ?) ORDER BY b, c LIMIT 10, 20', 'SELECT a'],
      ['SELECT a, b, c FROM t GROUP BY a, b', 'SELECT t'],
    ]);
  });

  it('adds the operations and tables of subqueries where they appear', () => {
    expectSummaries([
      ['SELECT * FROM a WHERE id IN (SELECT a_id FROM b)', 'SELECT a SELECT b'],
      ['SELECT (SELECT max(n) FROM b) FROM a', 'SELECT SELECT b a'],
      ['SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id)', 'SELECT a SELECT b'],
      ['SELECT x FROM a UNION ALL SELECT y FROM b EXCEPT SELECT z FROM c', 'SELECT a SELECT b SELECT c'],
    ]);
  });

  it('leaves the names of common table expressions out of the targets', () => {
    expectSummaries([
      [
        'WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN customers',
        'SELECT orders SELECT customers',
      ],
      [
        'WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 10) SELECT x FROM cnt',
        'SELECT SELECT SELECT',
      ],
      [
        'WITH a AS MATERIALIZED (SELECT * FROM t), "b" AS NOT MATERIALIZED (SELECT * FROM a) ' +
          'INSERT INTO u SELECT * FROM B',
        'SELECT t SELECT INSERT u SELECT',
      ],
      ['WITH c AS (SELECT id FROM t) DELETE FROM u WHERE id IN (SELECT id FROM c)', 'SELECT t DELETE u SELECT'],
    ]);
  });

  it('summarizes each statement of a multi-statement text in order', () => {
    expectSummaries([
      ['SELECT * FROM a; DELETE FROM b;; UPDATE c SET x = 1;', 'SELECT a DELETE b UPDATE c'],
    ]);
  });

  it('names the object of schema statements', () => {
    expectSummaries([
      [
        'CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, org INTEGER REFERENCES orgs ON DELETE CASCADE, ' +
          'full TEXT GENERATED ALWAYS AS (first || last)) WITHOUT ROWID',
        'CREATE TABLE users',
      ],
      ['CREATE TEMP TABLE t AS SELECT * FROM u', 'CREATE TEMP TABLE t SELECT u'],
      ['CREATE VIEW v (a) AS SELECT a FROM t JOIN u', 'CREATE VIEW v'],
      ['CREATE TEMP VIEW IF NOT EXISTS main.v AS WITH x AS (SELECT 1) SELECT * FROM x JOIN u', 'CREATE TEMP VIEW main.v'],
      [
        'CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email) WHERE email IS NOT NULL',
        'CREATE UNIQUE INDEX users_email',
      ],
      ['CREATE VIRTUAL TABLE docs USING fts5(title, body)', 'CREATE VIRTUAL TABLE docs'],
      ['DROP INDEX IF EXISTS main.users_email', 'DROP INDEX main.users_email'],
      ['DROP VIEW v', 'DROP VIEW v'],
      ['ALTER TABLE t RENAME TO u', 'ALTER TABLE t'],
      ['ALTER TABLE t ADD COLUMN c TEXT DEFAULT \'x\'', 'ALTER TABLE t'],
    ]);
  });

  it('names a trigger but neither its table nor the statements of its body', () => {
    expectSummaries([
      [
        'CREATE TRIGGER IF NOT EXISTS audit AFTER UPDATE OF name ON users WHEN CASE WHEN 1 THEN 1 END ' +
          'BEGIN INSERT INTO log VALUES (new.id); UPDATE stats SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END; END; ' +
          'SELECT * FROM users',
        'CREATE TRIGGER audit SELECT users',
      ],
    ]);
  });

  it('names transaction statements, with the BEGIN mode and savepoint names', () => {
    expectSummaries([
      ['BEGIN', 'BEGIN'],
      ['BEGIN IMMEDIATE TRANSACTION', 'BEGIN IMMEDIATE'],
      ['begin exclusive', 'begin exclusive'],
      ['COMMIT TRANSACTION', 'COMMIT'],
      ['END', 'END'],
      ['ROLLBACK', 'ROLLBACK'],
      ['ROLLBACK TRANSACTION TO SAVEPOINT sp1', 'ROLLBACK TO sp1'],
      ['SAVEPOINT sp1', 'SAVEPOINT sp1'],
      ['RELEASE SAVEPOINT sp1', 'RELEASE sp1'],
      ['RELEASE sp1', 'RELEASE sp1'],
    ]);
  });

  it('names pragmas, attachments and maintenance statements without their values', () => {
    expectSummaries([
      ['PRAGMA journal_mode = WAL', 'PRAGMA journal_mode'],
      ["PRAGMA main.table_info('users')", 'PRAGMA main.table_info'],
      ["ATTACH DATABASE '/secret/path.db' AS aux", 'ATTACH aux'],
      ['DETACH DATABASE aux', 'DETACH aux'],
      ['VACUUM', 'VACUUM'],
      ['VACUUM main', 'VACUUM main'],
      ["VACUUM INTO '/backups/db.sqlite'", 'VACUUM'],
      ['ANALYZE users', 'ANALYZE users'],
      ['REINDEX', 'REINDEX'],
      ['EXPLAIN QUERY PLAN SELECT * FROM t', 'EXPLAIN QUERY PLAN SELECT t'],
      ['EXPLAIN DELETE FROM t', 'EXPLAIN DELETE t'],
    ]);
  });

  it('joins the words of an operation with one space, whatever separated them (spaces, line breaks, comments)', () => {
    expectSummaries([
      ['CREATE  TABLE t (a)', 'CREATE TABLE t'],
      ['SELECT  *  FROM  t', 'SELECT t'],
      ['BEGIN   IMMEDIATE', 'BEGIN IMMEDIATE'],
      ['EXPLAIN  QUERY\n PLAN SELECT 1', 'EXPLAIN QUERY PLAN SELECT'],
      ['CREATE\n\tTABLE t (a)', 'CREATE TABLE t'],
      ['CREATE /* why */ TABLE t (a)', 'CREATE TABLE t'],
    ]);
  });

  it('never includes literals or parameters', () => {
    expectSummaries([
      ["SELECT 'secret', 42 FROM t WHERE name = 'alice' AND n > -1 LIMIT :n", 'SELECT t'],
      ["SELECT * FROM t WHERE a IS NOT DISTINCT FROM 'secret' AND b IS DISTINCT FROM 42", 'SELECT t'],
      ['SELECT * FROM ?', 'SELECT'],
    ]);
  });

  it('gives an empty summary for text it does not recognize', () => {
    expectSummaries([
      ['', ''],
      ['  -- only a comment', ''],
      ['frobnicate the widgets', ''],
      [';;;', ''],
    ]);
    expect(summarizeSql(undefined as unknown as string)).toBe('');
  });

  it('truncates to 255 characters between whole operations and targets', () => {
    const tables = Array.from({ length: 60 }, (_, i) => `table_number_${i}`);
    const summary = summarizeSql(`SELECT * FROM ${tables.join(', ')}`);
    expect(summary.length).toBeLessThanOrEqual(255);
    expect(summary.length).toBeGreaterThan(230);
    const words = summary.split(' ');
    expect(words[0]).toBe('SELECT');
    expect(words.slice(1)).toEqual(tables.slice(0, words.length - 1));
  });

  it('drops a single name longer than 255 characters rather than cutting it', () => {
    expect(summarizeSql(`SELECT * FROM ${'t'.repeat(300)}`)).toBe('SELECT');
  });
});
