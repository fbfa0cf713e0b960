import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveToolboxOptions } from '../../src/toolbox/options.ts';

function caught(fn: () => unknown): { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a throw');
}

describe('resolveToolboxOptions', () => {
  it('turns the options into frozen plain data for the workers', () => {
    const input = { attach: { archive: 'data/archive.db', vault: { path: '/v.db', key: new Uint8Array([1, 2, 255]) } }, extensions: ['/x.so', { path: '/y.so', entryPoint: 'y_init' }], key: 'secret', cipher: 'sqlcipher' as const };
    const resolved = resolveToolboxOptions(input);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolved.attach[0]!.alias).toBe('archive');
    expect(isAbsolute(resolved.attach[0]!.path)).toBe(true);
    expect(resolved.attach[1]).toEqual({ alias: 'vault', path: '/v.db', key: '0102ff', keyIsHex: true });
    expect(resolved.extensions).toEqual([{ path: '/x.so' }, { path: '/y.so', entryPoint: 'y_init' }]);
    expect(resolved.key).toEqual({ key: 'secret', hex: false, cipher: 'sqlcipher' });
    // Later changes by the caller do not reach the workers.
    input.attach.archive = '/elsewhere.db';
    expect(resolved.attach[0]!.path).not.toBe('/elsewhere.db');
    expect(structuredClone(resolved)).toEqual(resolved);
  });

  it('opens a plain file on the encrypting driver when only a cipher is given', () => {
    expect(resolveToolboxOptions({ cipher: 'chacha20' }).key).toEqual({ key: '', hex: false, cipher: 'chacha20' });
    expect(resolveToolboxOptions({}).key).toBeUndefined();
  });

  it('refuses bad values with coded errors', () => {
    expect(caught(() => resolveToolboxOptions({ attach: { main: '/m.db' } })).code).toBe('ERR_RAPSQLITE_ATTACH_EXISTS');
    expect(caught(() => resolveToolboxOptions({ attach: { a: '/1.db', A: '/2.db' } })).code).toBe('ERR_RAPSQLITE_ATTACH_EXISTS');
    expect(caught(() => resolveToolboxOptions({ attach: { a: '' } })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ attach: { a: 'file:x.db?mode=ro' } })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ attach: ['/x.db'] as never })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ extensions: '/x.so' as never })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ extensions: [{ path: '/x.so', entryPoint: 'bad name' }] })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ key: '' })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ key: 42 as never })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => resolveToolboxOptions({ key: 'k', cipher: 'rot13' as never })).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});
