import { describe, expect, it } from 'vitest';
import { SQL_TOKEN_KINDS, tokenizeSql, type SqlTokenKind } from '../../src/sql/tokenize.ts';

/** The significant tokens as `[kind, text]` pairs. */
function tokens(sql: string): Array<[SqlTokenKind, string]> {
  return tokenizeSql(sql)
    .filter((token) => token.kind !== 'whitespace')
    .map((token) => [token.kind, token.text]);
}

describe('tokenizeSql', () => {
  it('returns tokens whose texts join back into the input, with matching offsets', () => {
    const sql = "SELECT a, \"b c\" FROM [t] WHERE x = 'it''s' -- done\n/* c */ AND y > ?1";
    const all = tokenizeSql(sql);
    expect(all.map((token) => token.text).join('')).toBe(sql);
    for (const token of all) expect(sql.slice(token.start, token.end)).toBe(token.text);
  });

  it('lists every kind once in SQL_TOKEN_KINDS', () => {
    expect(new Set(SQL_TOKEN_KINDS).size).toBe(SQL_TOKEN_KINDS.length);
    expect(SQL_TOKEN_KINDS).toContain('quoted-identifier');
  });

  it('tells keywords from identifiers whatever their case', () => {
    expect(tokens('select Users FROM main.orders')).toEqual([
      ['keyword', 'select'],
      ['identifier', 'Users'],
      ['keyword', 'FROM'],
      ['identifier', 'main'],
      ['operator', '.'],
      ['identifier', 'orders'],
    ]);
    expect(tokens('true False NULL current_Timestamp')).toEqual([
      ['keyword', 'true'],
      ['keyword', 'False'],
      ['keyword', 'NULL'],
      ['keyword', 'current_Timestamp'],
    ]);
    expect(tokens('selects sel _select éselect x1')).toEqual(
      ['selects', 'sel', '_select', 'éselect', 'x1'].map((text) => ['identifier', text]),
    );
  });

  it("reads '' as an escaped quote inside a string", () => {
    expect(tokens("'My name''s' 'x'")).toEqual([
      ['string', "'My name''s'"],
      ['string', "'x'"],
    ]);
    expect(tokens("''''")).toEqual([['string', "''''"]]);
  });

  it('keeps other quote characters inside strings and identifiers', () => {
    expect(tokens(`'say "hi" -- not a comment /* nor this */' "a 'b' [c]"`)).toEqual([
      ['string', `'say "hi" -- not a comment /* nor this */'`],
      ['quoted-identifier', `"a 'b' [c]"`],
    ]);
  });

  it('reads the three quoted identifier forms with their escapes', () => {
    expect(tokens('"a""b" `c``d` [e "f"]')).toEqual([
      ['quoted-identifier', '"a""b"'],
      ['quoted-identifier', '`c``d`'],
      ['quoted-identifier', '[e "f"]'],
    ]);
  });

  it('runs an unterminated string, identifier, blob or block comment to the end of the text', () => {
    expect(tokens("SELECT 'abc")).toEqual([
      ['keyword', 'SELECT'],
      ['string', "'abc"],
    ]);
    expect(tokens("SELECT 'it''s")).toEqual([
      ['keyword', 'SELECT'],
      ['string', "'it''s"],
    ]);
    expect(tokens('SELECT "abc')).toEqual([
      ['keyword', 'SELECT'],
      ['quoted-identifier', '"abc'],
    ]);
    expect(tokens('SELECT [abc')).toEqual([
      ['keyword', 'SELECT'],
      ['quoted-identifier', '[abc'],
    ]);
    expect(tokens("SELECT x'AB")).toEqual([
      ['keyword', 'SELECT'],
      ['blob', "x'AB"],
    ]);
    expect(tokens('SELECT 1 /* never closed')).toEqual([
      ['keyword', 'SELECT'],
      ['number', '1'],
      ['comment', '/* never closed'],
    ]);
  });

  it('ends a line comment before its line break', () => {
    const all = tokenizeSql('a -- note\nb');
    expect(all.map((token) => [token.kind, token.text])).toEqual([
      ['identifier', 'a'],
      ['whitespace', ' '],
      ['comment', '-- note'],
      ['whitespace', '\n'],
      ['identifier', 'b'],
    ]);
  });

  it("reads x'…' as a blob only when the quote follows the x", () => {
    expect(tokens("x'ABCD' X'00' x 'A' max'a'")).toEqual([
      ['blob', "x'ABCD'"],
      ['blob', "X'00'"],
      ['identifier', 'x'],
      ['string', "'A'"],
      ['identifier', 'max'],
      ['string', "'a'"],
    ]);
  });

  it('reads integers, decimals, exponents, hexadecimal and digit separators as one number each', () => {
    expect(tokens('1 12.5 .5 5. 1e10 1.5E-3 2e+7 0x1F 0XdeadBEEF 1_000_000')).toEqual(
      ['1', '12.5', '.5', '5.', '1e10', '1.5E-3', '2e+7', '0x1F', '0XdeadBEEF', '1_000_000'].map((text) => [
        'number',
        text,
      ]),
    );
  });

  it('keeps letters glued to a number in the number, as SQLite rejects them together', () => {
    expect(tokens('12abc 1e 0xZZ')).toEqual([
      ['number', '12abc'],
      ['number', '1e'],
      ['number', '0xZZ'],
    ]);
  });

  it('reads identifiers containing digits, $ and non-ASCII characters', () => {
    expect(tokens('c3po r2d2 a$b café 表 😀x')).toEqual(
      ['c3po', 'r2d2', 'a$b', 'café', '表', '😀x'].map((text) => ['identifier', text]),
    );
  });

  it('reads every bind parameter form', () => {
    expect(tokens('? ?12 :name @name $name $a::b $a::b(c) :x1')).toEqual(
      ['?', '?12', ':name', '@name', '$name', '$a::b', '$a::b(c)', ':x1'].map((text) => ['parameter', text]),
    );
  });

  it('reads a lone prefix character as an operator, not a parameter', () => {
    expect(tokens(': @ $')).toEqual([
      ['operator', ':'],
      ['operator', '@'],
      ['operator', '$'],
    ]);
  });

  it('ends a Tcl-style parameter before a parenthesis that holds whitespace', () => {
    expect(tokens('$a(b c)')[0]).toEqual(['parameter', '$a']);
  });

  it('reads multi-character operators whole', () => {
    expect(tokens('a || b -> c ->> d <> e != f == g <= h >= i << j >> k < l > m')).toEqual(
      expect.arrayContaining(
        ['||', '->', '->>', '<>', '!=', '==', '<=', '>=', '<<', '>>', '<', '>'].map((text) => ['operator', text]),
      ),
    );
  });

  it('returns characters SQLite rejects as one-character operators', () => {
    expect(tokens('{ } # \\ \v')).toEqual(['{', '}', '#', '\\', '\v'].map((text) => ['operator', text]));
  });

  it('returns no tokens for the empty string or a value that is not a string', () => {
    expect(tokenizeSql('')).toEqual([]);
    expect(tokenizeSql(undefined as unknown as string)).toEqual([]);
    expect(tokenizeSql(42 as unknown as string)).toEqual([]);
  });
});
