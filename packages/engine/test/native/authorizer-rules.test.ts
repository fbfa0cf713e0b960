import { describe, expect, it } from 'vitest';

import {
  AUTHORIZER_ACTIONS,
  AUTHORIZER_GROUPS,
  compileAuthorizerRules,
  type AuthorizerRules,
} from '../../src/native/authorizer-rules.ts';

/** The SQLite action codes whose bits are set in a mask. */
function codesOf(mask: number): number[] {
  const codes: number[] = [];
  for (let code = 0; code < 64 && 2 ** code <= mask; code++) {
    if (Math.floor(mask / 2 ** code) % 2 === 1) codes.push(code);
  }
  return codes;
}

describe('compileAuthorizerRules', () => {
  it('numbers actions as SQLite does', () => {
    // Spot checks against sqlite3.h.
    expect(AUTHORIZER_ACTIONS.indexOf('CREATE_INDEX') + 1).toBe(1);
    expect(AUTHORIZER_ACTIONS.indexOf('INSERT') + 1).toBe(18);
    expect(AUTHORIZER_ACTIONS.indexOf('PRAGMA') + 1).toBe(19);
    expect(AUTHORIZER_ACTIONS.indexOf('ATTACH') + 1).toBe(24);
    expect(AUTHORIZER_ACTIONS.indexOf('FUNCTION') + 1).toBe(31);
    expect(AUTHORIZER_ACTIONS.indexOf('RECURSIVE') + 1).toBe(33);
  });

  it('turns actions and groups into a bitmask of action codes, each bit once', () => {
    const compiled = compileAuthorizerRules({ deny: ['ATTACH', 'write', 'INSERT', 'RECURSIVE'] });
    expect(codesOf(compiled.denyMask)).toEqual([9, 18, 23, 24, 33]);
    expect(compiled.denyTables).toEqual([]);
  });

  it('expands the schema group to every DDL action', () => {
    const codes = codesOf(compileAuthorizerRules({ deny: ['schema'] }).denyMask);
    expect(codes).toHaveLength(AUTHORIZER_GROUPS.schema.length);
    expect(codes).not.toContain(18);
    expect(codes).toContain(26);
  });

  it('lets read-only pragmas take an argument and others only their query form', () => {
    const compiled = compileAuthorizerRules({ allowPragmas: ['Table_Info', 'user_version', 'journal_mode'] });
    expect(compiled.pragmasAnyArg).toEqual(['Table_Info']);
    expect(compiled.pragmasNoArg).toEqual(['user_version', 'journal_mode']);
  });

  it('returns frozen data that can be posted to a worker', () => {
    const compiled = compileAuthorizerRules({ deny: ['PRAGMA'], denyTables: ['secret'] });
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(structuredClone(compiled)).toEqual(compiled);
  });

  it('rejects unknown actions and malformed lists with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    expect(() => compileAuthorizerRules({ deny: ['DROP_EVERYTHING'] } as unknown as AuthorizerRules)).toThrow(invalid);
    expect(() => compileAuthorizerRules({ deny: 'write' } as unknown as AuthorizerRules)).toThrow(invalid);
    expect(() => compileAuthorizerRules({ denyTables: [''] })).toThrow(invalid);
    expect(() => compileAuthorizerRules({ allowPragmas: [42] } as unknown as AuthorizerRules)).toThrow(invalid);
    expect(() => compileAuthorizerRules(null as unknown as AuthorizerRules)).toThrow(invalid);
    expect(() => compileAuthorizerRules({ deny: ['toString'] } as unknown as AuthorizerRules)).toThrow(invalid);
  });
});
