import { describe, expect, it } from 'vitest';
import { hasLiterals, sanitizeSql } from '../../src/sql/sanitize.ts';

describe('sanitizeSql', () => {
  it('replaces strings, numbers, blobs and booleans with ?', () => {
    expect(sanitizeSql("SELECT 'a', 1.5, x'00FF', TRUE, false FROM t")).toBe('SELECT ?, ?, ?, ?, ? FROM t');
  });

  it('keeps NULL, names, quoted identifiers, parameters and layout byte for byte', () => {
    const sql = 'SELECT "Name", [col 2]\n  FROM main.t\tWHERE a IS NULL AND b = :b AND c = ?2';
    expect(sanitizeSql(sql)).toBe(sql);
  });

  it('returns the input itself when there is nothing to replace', () => {
    const sql = 'SELECT * FROM users WHERE id = ?';
    expect(sanitizeSql(sql)).toBe(sql);
  });

  it('folds the sign of a number into its ? only where the sign is unary', () => {
    expect(sanitizeSql('SELECT -1, +2, (-3), x = -4')).toBe('SELECT ?, ?, (?), x = ?');
    expect(sanitizeSql('SELECT a-1, a - 1, f(x)-1, :p-1')).toBe('SELECT a-?, a - ?, f(x)-?, :p-?');
  });

  it('removes comments, which may hold anything', () => {
    expect(sanitizeSql("SELECT 1 /* user: 'bob' */ -- token=abc\nFROM t")).toBe('SELECT ?  \nFROM t');
  });

  it('replaces an unterminated string up to the end of the text', () => {
    expect(sanitizeSql("SELECT * FROM t WHERE password = 'hunter2")).toBe('SELECT * FROM t WHERE password = ?');
  });

  it('replaces numbers with letters glued to them whole', () => {
    expect(sanitizeSql('SELECT 12abc')).toBe('SELECT ?');
  });

  it('gives an empty string for a value that is not a string', () => {
    expect(sanitizeSql(undefined as unknown as string)).toBe('');
  });
});

describe('hasLiterals', () => {
  it('is false for parameterized text', () => {
    expect(hasLiterals('SELECT * FROM t3 WHERE a = ? AND b = :b AND c IS NULL')).toBe(false);
  });

  it('is true as soon as one literal appears', () => {
    expect(hasLiterals("SELECT * FROM t WHERE a = 'x'")).toBe(true);
    expect(hasLiterals('SELECT * FROM t LIMIT 10')).toBe(true);
    expect(hasLiterals("SELECT x'00'")).toBe(true);
    expect(hasLiterals('UPDATE t SET flag = TRUE')).toBe(true);
  });

  it('ignores literal-looking text in comments and quoted identifiers', () => {
    expect(hasLiterals('SELECT "1", [2] FROM t -- 3\n/* \'4\' */')).toBe(false);
  });

  it('is false for a value that is not a string', () => {
    expect(hasLiterals({} as unknown as string)).toBe(false);
  });
});
