import { describe, expect, it } from 'vitest';
import {
  fingerprintSql,
  hasLiterals,
  normalizeSql,
  sanitizeSql,
  sqlParameters,
  summarizeSql,
  tokenizeSql,
} from '../../src/sql/index.ts';

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  'SELECT', 'select', 'FROM', 'JOIN', 'WHERE', 'IN', 'VALUES', 'INSERT', 'INTO', 'UPDATE', 'SET', 'DELETE', 'WITH',
  'AS', 'CREATE', 'TRIGGER', 'TABLE', 'BEGIN', 'END', 'CASE', 'DISTINCT', 'EXPLAIN', 'PRAGMA', 'ATTACH', 'ON',
  't', 'users', 'a.b', '(', ')', '((', '))', ',', ';', '.', '-', '+', '--', '/*', '*/', "'", "''", '"', '`', '[',
  ']', "x'", '?', '?1', '?99999999999999999999', ':a', '@b', '$c::d(e)', '$', ':', '::', '1', '-1', '.5', '1e',
  '0x', '0x1F', '1_0', '\n', '\t', ' ', '{', '}', '\\', '\u0000', '😀', '\ud800', '\udc00', 'é', 'TRUE', 'NULL',
];

const ALL = [tokenizeSql, sqlParameters, sanitizeSql, hasLiterals, summarizeSql, normalizeSql, fingerprintSql];

describe('SQL utilities on any input', () => {
  it('never throw on random fragments of SQL, and keep their guarantees', () => {
    const next = random(20_260_817);
    for (let round = 0; round < 1500; round++) {
      const length = Math.floor(next() * 40);
      let sql = '';
      for (let k = 0; k < length; k++) {
        sql += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)] as string;
        if (next() < 0.5) sql += ' ';
      }
      for (const fn of ALL) expect(() => fn(sql), `${fn.name}(${JSON.stringify(sql)})`).not.toThrow();
      expect(tokenizeSql(sql).map((token) => token.text).join('')).toBe(sql);
      expect(summarizeSql(sql).length).toBeLessThanOrEqual(255);
      expect(fingerprintSql(sql)).toMatch(/^[0-9a-f]{16}$/);
      expect(normalizeSql(normalizeSql(sql))).toBe(normalizeSql(sql));
    }
  });

  it('never throw on random characters', () => {
    const next = random(42);
    for (let round = 0; round < 500; round++) {
      let sql = '';
      const length = Math.floor(next() * 60);
      for (let k = 0; k < length; k++) sql += String.fromCharCode(Math.floor(next() * (next() < 0.9 ? 128 : 0x10000)));
      for (const fn of ALL) expect(() => fn(sql)).not.toThrow();
    }
  });

  it('never throw on values that are not strings', () => {
    for (const value of [undefined, null, 42, {}, [], Symbol('sql'), () => 'SELECT 1']) {
      for (const fn of ALL) expect(() => fn(value as unknown as string)).not.toThrow();
    }
  });

  it('handle deep nesting and long texts without recursion or quadratic work', () => {
    const deep = `SELECT * FROM t WHERE x = ${'('.repeat(100_000)}SELECT 1 FROM u${')'.repeat(100_000)}`;
    const rows = `INSERT INTO t VALUES ${Array.from({ length: 50_000 }, (_, i) => `(${i}, 'v${i}')`).join(', ')}`;
    const unbalanced = `SELECT ${')'.repeat(50_000)} FROM t WHERE x IN (${'(, '.repeat(50_000)}`;
    for (const sql of [deep, rows, unbalanced]) {
      for (const fn of ALL) expect(() => fn(sql)).not.toThrow();
    }
    expect(normalizeSql(rows)).toBe('INSERT INTO t VALUES (?, ?)');
    expect(summarizeSql(deep)).toBe('SELECT t SELECT u');
  });
});
