import { describe, expect, it } from 'vitest';
import { normalizeSql } from '../../src/sql/normalize.ts';

function expectSame(variants: readonly string[]): void {
  const first = normalizeSql(variants[0] as string);
  for (const variant of variants) expect(normalizeSql(variant), variant).toBe(first);
}

describe('normalizeSql', () => {
  it('writes a canonical text: ? for values, uppercase keywords, single spaces, no comments', () => {
    expect(normalizeSql("select  *\n from Users u -- who\n where u.id in (1, 2, 3) and name = :name;")).toBe(
      'SELECT * FROM Users u WHERE u.id IN (...) AND name = ?',
    );
    expect(normalizeSql("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')")).toBe('INSERT INTO t(a, b) VALUES (?, ?)');
    expect(normalizeSql('SELECT count(*), max(a.b) FROM t')).toBe('SELECT count(*), max(a.b) FROM t');
  });

  it('gives the same text for statements that differ only in constants', () => {
    expectSame([
      "SELECT * FROM t WHERE a = 1 AND b = 'x' AND c = x'00' AND d = 1.5e3 AND e = TRUE",
      "SELECT * FROM t WHERE a = 99 AND b = 'it''s' AND c = x'FFFF' AND d = 0x10 AND e = FALSE",
      'SELECT * FROM t WHERE a = -1 AND b = \'\' AND c = X\'\' AND d = - 2 AND e = 0',
    ]);
  });

  it('gives the same text whatever the bind parameter style', () => {
    expectSame([
      'SELECT * FROM t WHERE a = ? AND b = ?',
      'SELECT * FROM t WHERE a = ?1 AND b = ?2',
      'SELECT * FROM t WHERE a = :a AND b = @b',
      'SELECT * FROM t WHERE a = $a AND b = $b::c(d)',
      'SELECT * FROM t WHERE a = 1 AND b = 2',
    ]);
  });

  it('gives the same text whatever the length of an IN list of constants', () => {
    expectSame([
      'SELECT * FROM t WHERE id IN (?)',
      'SELECT * FROM t WHERE id IN (1, 2, 3)',
      "SELECT * FROM t WHERE id IN (?, :x, 'a', -4, ?7)",
      'SELECT * FROM t WHERE id IN(1,2)',
    ]);
    expect(normalizeSql('SELECT 1 WHERE a NOT IN (1, 2)')).toBe('SELECT ? WHERE a NOT IN (...)');
  });

  it('keeps IN lists that hold expressions or a subquery', () => {
    expect(normalizeSql('SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)')).toBe(
      'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)',
    );
    expect(normalizeSql('SELECT * FROM t WHERE id IN (a + 1, 2)')).toBe('SELECT * FROM t WHERE id IN (a + ?, ?)');
    expect(normalizeSql('SELECT * FROM t WHERE id IN ()')).toBe('SELECT * FROM t WHERE id IN ()');
  });

  it('gives the same text whatever the number of identical VALUES rows', () => {
    expectSame([
      'INSERT INTO t (a, b) VALUES (?, ?)',
      'INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)',
      "INSERT INTO t (a, b) VALUES (1, 'x'),(2, 'y')",
      'INSERT INTO t (a, b) VALUES (:a1, :b1), (:a2, :b2) ',
    ]);
    expectSame([
      'INSERT INTO t VALUES (?, lower(?)) ON CONFLICT DO NOTHING',
      "INSERT INTO t VALUES (1, lower('A')), (2, lower('B')) ON CONFLICT DO NOTHING",
    ]);
  });

  it('keeps VALUES rows that differ in shape', () => {
    expect(normalizeSql('INSERT INTO t VALUES (1, NULL), (2, 3), (4, 5)')).toBe(
      'INSERT INTO t VALUES (?, NULL), (?, ?)',
    );
    expect(normalizeSql('SELECT * FROM (VALUES (1), (2)) JOIN (VALUES (3, 4), (5, 6)) ')).toBe(
      'SELECT * FROM (VALUES (?)) JOIN (VALUES (?, ?))',
    );
  });

  it('gives the same text whatever the whitespace, comments, keyword case and trailing semicolons', () => {
    expectSame([
      'SELECT a, b FROM t WHERE a = ?',
      'select a,b from t where a=?;',
      '  SELECT /* hint */ a ,\n\tb FROM t -- trailing\n WHERE a = ? ;; ',
      'Select a , b From t Where a = ?',
    ]);
  });

  it('keeps the case of names, which sets apart different call sites', () => {
    expect(normalizeSql('SELECT Name FROM Users')).not.toBe(normalizeSql('SELECT name FROM users'));
  });

  it('keeps operators, so different expressions stay apart', () => {
    expect(normalizeSql('SELECT a - 1 FROM t')).toBe('SELECT a - ? FROM t');
    expect(normalizeSql('SELECT a-1 FROM t')).toBe('SELECT a - ? FROM t');
    expect(normalizeSql('SELECT a + 1 FROM t')).not.toBe(normalizeSql('SELECT a - 1 FROM t'));
    expect(normalizeSql('SELECT 99+100')).toBe('SELECT ? + ?');
  });

  it('separates statements with one "; " and drops empty ones', () => {
    expect(normalizeSql('SELECT 1;; ;SELECT 2;')).toBe('SELECT ?; SELECT ?');
  });

  it('gives an empty text for blank input or a value that is not a string', () => {
    expect(normalizeSql('  /* nothing */ ; ')).toBe('');
    expect(normalizeSql(Symbol('x') as unknown as string)).toBe('');
  });
});
