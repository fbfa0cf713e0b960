import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../src/sql/tokenize.ts';

const kinds = (sql: string) => tokenize(sql).filter((t) => t.kind !== 'whitespace').map((t) => `${t.kind}:${t.text}`);

describe('tokenize', () => {
  it('reads SQLite’s token forms', () => {
    expect(kinds(`SELECT "a""b", [x y], \`c\`\`d\`, 'it''s', x'00ff', 12.5e3, 0x1F, .5, ?1, :name, @a, $b, a->>'$.k' -- end`)).toEqual([
      'word:SELECT', 'quoted-identifier:"a""b"', 'operator:,', 'quoted-identifier:[x y]', 'operator:,', 'quoted-identifier:`c``d`', 'operator:,',
      "string:'it''s'", 'operator:,', "blob:x'00ff'", 'operator:,', 'number:12.5e3', 'operator:,', 'number:0x1F', 'operator:,', 'number:.5', 'operator:,',
      'parameter:?1', 'operator:,', 'parameter::name', 'operator:,', 'parameter:@a', 'operator:,', 'parameter:$b', 'operator:,', 'word:a', 'operator:->>',
      "string:'$.k'", 'comment:-- end',
    ]);
  });

  it('runs unterminated strings and comments to the end', () => {
    expect(kinds("SELECT 'abc")).toEqual(['word:SELECT', "string:'abc"]);
    expect(kinds('SELECT /* open')).toEqual(['word:SELECT', 'comment:/* open']);
  });

  it('gives back the input when its tokens are joined, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...`ab1 '"[]\`x-*/;.?:@$\n`.split('')) }), (sql) => {
        const tokens = tokenize(sql);
        expect(tokens.map((t) => t.text).join('')).toBe(sql);
        for (const t of tokens) expect(sql.slice(t.start, t.end)).toBe(t.text);
      }),
    );
  });
});
