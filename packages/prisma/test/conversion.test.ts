import { ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type { ColumnInfo } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import { declaredColumnType, mapArg, mapRow, resultColumnTypes } from '../src/conversion.ts';

const column = (type: string | null): ColumnInfo => ({ name: 'c', type, table: null, column: null, database: null });

describe('column types', () => {
  it('maps the declared types Prisma writes for SQLite, ignoring case and size suffixes', () => {
    expect(declaredColumnType('INTEGER')).toBe(ColumnTypeEnum.Int32);
    expect(declaredColumnType('bigint')).toBe(ColumnTypeEnum.Int64);
    expect(declaredColumnType('DECIMAL(10, 2)')).toBe(ColumnTypeEnum.Numeric);
    expect(declaredColumnType('REAL')).toBe(ColumnTypeEnum.Double);
    expect(declaredColumnType('DATETIME')).toBe(ColumnTypeEnum.DateTime);
    expect(declaredColumnType('JSONB')).toBe(ColumnTypeEnum.Json);
    expect(declaredColumnType('BLOB')).toBe(ColumnTypeEnum.Bytes);
    expect(declaredColumnType('BOOLEAN')).toBe(ColumnTypeEnum.Boolean);
    expect(declaredColumnType('varchar(255)')).toBe(ColumnTypeEnum.Text);
    expect(declaredColumnType('')).toBeNull();
    expect(declaredColumnType('WHATEVER')).toBeNull();
    expect(declaredColumnType(null)).toBeNull();
  });

  it('infers an expression column from its first non-null value, and an all-NULL one as Int32', () => {
    const rows = [
      [null, null, null, null, null],
      [null, 'x', 5n, 0.5, Buffer.from([1])],
    ];
    const types = resultColumnTypes([column(null), column(null), column(null), column(null), column(null)], rows);
    expect(types).toEqual([ColumnTypeEnum.Int32, ColumnTypeEnum.Text, ColumnTypeEnum.Int64, ColumnTypeEnum.UnknownNumber, ColumnTypeEnum.Bytes]);
  });

  it('widens an INTEGER column holding a value beyond 32 bits to Int64, so a raw read never truncates it', () => {
    expect(resultColumnTypes([column('INTEGER')], [[1n], [2n ** 40n]])).toEqual([ColumnTypeEnum.Int64]);
    expect(resultColumnTypes([column('INTEGER')], [[1n], [-(2n ** 31n)]])).toEqual([ColumnTypeEnum.Int32]);
  });
});

describe('row values', () => {
  it('turns integers into numbers when exact and into decimal strings beyond 2^53, never a rounded number', () => {
    const big = 2n ** 53n + 1n;
    const row = mapRow([1n, big, -big, 2n ** 53n - 1n], [ColumnTypeEnum.Int32, ColumnTypeEnum.Int64, ColumnTypeEnum.Int64, ColumnTypeEnum.Int64]);
    expect(row).toEqual([1, '9007199254740993', '-9007199254740993', Number.MAX_SAFE_INTEGER]);
  });

  it('turns epoch milliseconds of DateTime columns into ISO strings and truncates reals in integer columns', () => {
    expect(mapRow([1700000000000n, 1700000000000.5, 2.7], [ColumnTypeEnum.DateTime, ColumnTypeEnum.DateTime, ColumnTypeEnum.Int32])).toEqual([
      '2023-11-14T22:13:20.000Z',
      '2023-11-14T22:13:20.000Z',
      2,
    ]);
  });
});

describe('arguments', () => {
  const arg = (scalarType: string) => ({ scalarType: scalarType as never, arity: 'scalar' as const });

  it('binds integers exactly as bigints, and booleans as 1/0', () => {
    expect(mapArg(42, arg('int'), 'iso8601')).toBe(42n);
    expect(mapArg('9007199254740993', arg('bigint'), 'iso8601')).toBe(9007199254740993n);
    expect(mapArg(1.5, arg('int'), 'iso8601')).toBe(1.5);
    expect(mapArg(true, arg('boolean'), 'iso8601')).toBe(1n);
    expect(mapArg(false, undefined, 'iso8601')).toBe(0n);
    expect(mapArg('2.5', arg('float'), 'iso8601')).toBe(2.5);
  });

  it('binds dates in the configured format', () => {
    const date = new Date('2025-01-02T03:04:05.006Z');
    expect(mapArg(date, arg('datetime'), 'iso8601')).toBe('2025-01-02T03:04:05.006+00:00');
    expect(mapArg('2025-01-02T03:04:05.006Z', arg('datetime'), 'unixepoch-ms')).toBe(date.getTime());
    expect(() => mapArg('not a date', arg('datetime'), 'iso8601')).toThrow(TypeError);
  });

  it('binds bytes from base64, buffers and arrays, JSON objects as text, decimals as text', () => {
    expect(mapArg('AAEC', arg('bytes'), 'iso8601')).toEqual(Buffer.from([0, 1, 2]));
    const buf = Buffer.from('x');
    expect(mapArg(buf, arg('bytes'), 'iso8601')).toBe(buf);
    expect(mapArg([7, 8], arg('bytes'), 'iso8601')).toEqual(new Uint8Array([7, 8]));
    expect(mapArg({ a: [1] }, arg('json'), 'iso8601')).toBe('{"a":[1]}');
    expect(mapArg('12345678901234567890.5', arg('decimal'), 'iso8601')).toBe('12345678901234567890.5');
    expect(mapArg({ toFixed: () => '1.25' }, arg('decimal'), 'iso8601')).toBe('1.25');
    expect(mapArg(null, arg('string'), 'iso8601')).toBeNull();
    expect(mapArg(undefined, arg('string'), 'iso8601')).toBeNull();
  });
});
