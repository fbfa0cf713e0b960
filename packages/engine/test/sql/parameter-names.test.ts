import { describe, expect, it } from 'vitest';
import { sqlParameters } from '../../src/sql/parameter-names.ts';

describe('sqlParameters', () => {
  it('names parameters without their prefix, as better-sqlite3 binds them from an object', () => {
    expect(sqlParameters('SELECT * FROM t WHERE a = :id AND b = @name AND c = $limit')).toEqual({
      named: ['id', 'name', 'limit'],
      positional: 0,
    });
  });

  it('lists each name once, in order of first use, whatever its prefix', () => {
    expect(sqlParameters('SELECT :b, :a, @b, $a, :c').named).toEqual(['b', 'a', 'c']);
  });

  it('keeps the Tcl form of a $ parameter whole', () => {
    expect(sqlParameters('SELECT $a::b(c)').named).toEqual(['a::b(c)']);
  });

  it('ignores parameter-like text inside strings, quoted identifiers and comments', () => {
    const sql = `SELECT ':a', "@b", [$c], \`?\` -- :d ?
      /* @e ?1 */ FROM t WHERE x = :real`;
    expect(sqlParameters(sql)).toEqual({ named: ['real'], positional: 0 });
  });

  it('counts each ? as one more positional slot', () => {
    expect(sqlParameters('INSERT INTO t VALUES (?, ?, ?)').positional).toBe(3);
  });

  it('takes the highest ?NNN as the number of positional slots', () => {
    expect(sqlParameters('SELECT ?3').positional).toBe(3);
    expect(sqlParameters('SELECT ?1, ?1, ?2').positional).toBe(2);
  });

  it('numbers a ? after ?NNN from the highest slot so far, as SQLite does', () => {
    expect(sqlParameters('SELECT ?, ?5, ?').positional).toBe(6);
    expect(sqlParameters('SELECT ?5, ?2, ?').positional).toBe(6);
  });

  it('does not count named parameters as positional slots', () => {
    expect(sqlParameters('SELECT :a, ?, @b')).toEqual({ named: ['a', 'b'], positional: 1 });
  });

  it('keeps an absurd ?NNN finite', () => {
    expect(Number.isFinite(sqlParameters(`SELECT ?${'9'.repeat(400)}`).positional)).toBe(true);
  });

  it('finds nothing in text without parameters or in a value that is not a string', () => {
    expect(sqlParameters('SELECT 1')).toEqual({ named: [], positional: 0 });
    expect(sqlParameters(null as unknown as string)).toEqual({ named: [], positional: 0 });
  });
});
