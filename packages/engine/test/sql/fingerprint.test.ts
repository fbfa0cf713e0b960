import { describe, expect, it } from 'vitest';
import { fingerprintSql, fnv1a64 } from '../../src/sql/fingerprint.ts';

/** The reference definition of 64-bit FNV-1a, in BigInt. */
function referenceFnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64-bit test values', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('hashes the UTF-8 bytes of any text, lone surrogates as U+FFFD', () => {
    const texts = ['SELECT ?', 'café', '表', '😀 emoji', 'é\u0301', '\ud800 lone', 'x\udfff'];
    texts.push('\u007f\u0080\u07ff\u0800\uffff');
    for (const text of texts) {
      expect(fnv1a64(text), JSON.stringify(text)).toBe(referenceFnv1a64(text));
    }
  });
});

describe('fingerprintSql', () => {
  it('is 16 hexadecimal digits', () => {
    expect(fingerprintSql('SELECT 1')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('stays the same across processes and releases for the same normalized text', () => {
    // A changed value here means every stored statistic changes key: change it only on purpose.
    expect(fingerprintSql('SELECT * FROM users WHERE id = 1')).toBe(fnv1a64('SELECT * FROM users WHERE id = ?'));
    expect(fingerprintSql('SELECT * FROM users WHERE id = 1')).toBe('8aecd125cab18145');
  });

  it('is equal for statements that differ only in constants, parameters, lists, layout or keyword case', () => {
    const fingerprint = fingerprintSql('SELECT * FROM t WHERE id IN (1, 2, 3) AND name = ?');
    expect(fingerprintSql("select * from t where id in (:a) and name = 'bob' -- hi")).toBe(fingerprint);
    expect(fingerprintSql('SELECT *\nFROM t\nWHERE id IN (?1, ?2)\nAND name = $name;')).toBe(fingerprint);
  });

  it('differs for statements on other tables, columns or operators', () => {
    const fingerprints = new Set(
      [
        'SELECT * FROM t WHERE id = ?',
        'SELECT * FROM u WHERE id = ?',
        'SELECT * FROM t WHERE key = ?',
        'SELECT * FROM t WHERE id > ?',
        'SELECT id FROM t WHERE id = ?',
        'DELETE FROM t WHERE id = ?',
      ].map(fingerprintSql),
    );
    expect(fingerprints.size).toBe(6);
  });
});
