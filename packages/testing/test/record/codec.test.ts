import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/record/codec.ts';

describe('recording codec', () => {
  it('round-trips what JSON cannot hold', () => {
    const hostile: Record<string, unknown> = { $ref: 'dollar' };
    Object.defineProperty(hostile, '__proto__', { value: 'proto', enumerable: true, configurable: true, writable: true });
    const value = [null, 1.5, 'text', 2n ** 64n, Buffer.from([0, 255]), undefined, -0, Number.POSITIVE_INFINITY, Number.NaN, { plain: [1, { deep: true }] }, hostile];
    const back = decode(JSON.parse(JSON.stringify(encode(value)))) as unknown[];
    expect(back.slice(0, 4)).toEqual([null, 1.5, 'text', 2n ** 64n]);
    expect(Buffer.isBuffer(back[4])).toBe(true);
    expect([...(back[4] as Buffer)]).toEqual([0, 255]);
    expect(back[5]).toBeUndefined();
    expect(Object.is(back[6], -0)).toBe(true);
    expect(back[7]).toBe(Number.POSITIVE_INFINITY);
    expect(back[8]).toBeNaN();
    expect(back[9]).toEqual({ plain: [1, { deep: true }] });
    const obj = back[10] as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value).toBe('proto');
    expect(obj['$ref']).toBe('dollar');
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
  });

  it('keeps plain rows readable', () => {
    expect(encode({ id: 1, name: 'Ada' })).toEqual({ id: 1, name: 'Ada' });
  });

  it('refuses values a query cannot produce', () => {
    expect(() => encode(new Date())).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    expect(() => encode(() => 1)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });
});
