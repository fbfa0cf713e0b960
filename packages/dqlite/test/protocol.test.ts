import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import { sqliteCodeName } from '../src/errors.ts';
import { ValueType } from '../src/protocol/constants.ts';
import { MessageReader } from '../src/protocol/reader.ts';
import { readRows, writeParams } from '../src/protocol/values.ts';
import { splitAddress } from '../src/protocol/wire-socket.ts';
import { MessageWriter } from '../src/protocol/writer.ts';
import { bindValues, statementPlan } from '@rapsqlite/engine/plugin';

/** A ROWS body as a server lays it out: names, then rows of 4-bit types and values, then the end marker. */
function rowsBody(names: string[], rows: Array<Array<[number, (w: MessageWriter) => void]>>, done: boolean): Buffer {
  const w = new MessageWriter().reset().uint64(names.length);
  for (const name of names) w.text(name);
  for (const row of rows) {
    for (let i = 0; i < row.length; i += 2) w.uint8((row[i]?.[0] ?? 0) | ((row[i + 1]?.[0] ?? 0) << 4));
    w.pad();
    for (const [, write] of row) write(w);
  }
  w.uint64(done ? 0xffff_ffff_ffff_ffffn : 0xeeee_eeee_eeee_eeeen);
  return w.finish(7).subarray(8);
}

describe('the wire format', () => {
  it('frames a message: body length in words, type and schema in the header, strings NUL-terminated and padded', () => {
    const message = new MessageWriter().reset().uint64(7).text('abc').blob(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])).finish(9, 1);
    expect(message.readUInt32LE(0)).toBe((8 + 8 + 8 + 16) / 8);
    expect([message[4], message[5]]).toEqual([9, 1]);
    const reader = new MessageReader(message.subarray(8));
    expect([reader.uint64(), reader.text(), [...reader.blob()], reader.remaining]).toEqual([7, 'abc', [1, 2, 3, 4, 5, 6, 7, 8, 9], 0]);
  });

  it('writes a parameter tuple: a count, a type byte each, padding, then the values', () => {
    const w = new MessageWriter().reset();
    expect(writeParams(w, [1, 1.5, 'x', null, Buffer.from([9]), -2n], 'SELECT')).toBe(0);
    const body = w.finish(8).subarray(8);
    expect([...body.subarray(0, 8)]).toEqual([6, ValueType.integer, ValueType.float, ValueType.text, ValueType.null, ValueType.blob, ValueType.integer, 0]);
    const reader = new MessageReader(body.subarray(8));
    expect(reader.body.readBigInt64LE(0)).toBe(1n);
    expect(reader.body.readDoubleLE(8)).toBe(1.5);
    expect(reader.body.readBigInt64LE(body.length - 16)).toBe(-2n);
    const none = new MessageWriter().reset();
    expect(writeParams(none, [], 'SELECT')).toBe(0);
    expect(writeParams(new MessageWriter().reset(), Array.from({ length: 256 }, () => 1), 'SELECT')).toBe(1);
  });

  it('decodes rows of every type, across the 4-bit header, and tells a final batch from a partial one', () => {
    const body = rowsBody(
      ['i', 'f', 't', 'b', 'n', 'u', 'd', 'o'],
      [
        [
          [ValueType.integer, (w) => w.int64(-5)],
          [ValueType.float, (w) => w.float64(2.5)],
          [ValueType.text, (w) => w.text('héllo')],
          [ValueType.blob, (w) => w.blob(new Uint8Array([1, 2]))],
          [ValueType.null, (w) => w.uint64(0)],
          [ValueType.unixTime, (w) => w.int64(1_700_000_000)],
          [ValueType.iso8601, (w) => w.text('')],
          [ValueType.boolean, (w) => w.uint64(1)],
        ],
      ],
      false,
    );
    const out: unknown[][] = [];
    const batch = readRows(body, { integers: 'number', typed: false, sql: 'q' }, out);
    expect(batch.done).toBe(false);
    expect(batch.columns).toEqual(['i', 'f', 't', 'b', 'n', 'u', 'd', 'o']);
    expect(out).toEqual([[-5, 2.5, 'héllo', Buffer.from([1, 2]), null, 1_700_000_000, null, 1]]);
    const typed: unknown[][] = [];
    readRows(body, { integers: 'bigint', typed: true, sql: 'q' }, typed);
    expect(typed[0]?.slice(5)).toEqual([new Date(1_700_000_000_000), null, true]);
    expect(typed[0]?.[0]).toBe(-5n);
  });

  it('reports an integer beyond 2^53 in number mode after reading the whole batch', () => {
    const body = rowsBody(['v'], [[[ValueType.integer, (w) => w.int64(2n ** 60n)]], [[ValueType.integer, (w) => w.int64(1)]]], true);
    const out: unknown[][] = [];
    const batch = readRows(body, { integers: 'number', typed: false, sql: 'q' }, out);
    expect(batch.done).toBe(true);
    expect(batch.error?.code).toBe(ErrorCodes.INTEGER_OVERFLOW);
  });

  it('names SQLite result codes, extended ones and dqlite\'s own', () => {
    expect([sqliteCodeName(2067), sqliteCodeName(19), sqliteCodeName(10250), sqliteCodeName(5), sqliteCodeName(1)]).toEqual([
      'SQLITE_CONSTRAINT_UNIQUE',
      'SQLITE_CONSTRAINT',
      'SQLITE_IOERR_NOT_LEADER',
      'SQLITE_BUSY',
      'SQLITE_ERROR',
    ]);
  });

  it('splits host:port and [v6]:port, and refuses anything else', () => {
    expect(splitAddress('127.0.0.1:9001')).toEqual({ host: '127.0.0.1', port: 9001 });
    expect(splitAddress('[::1]:9001')).toEqual({ host: '::1', port: 9001 });
    expect(() => splitAddress('nowhere')).toThrow(TypeError);
    expect(() => splitAddress('h:70000')).toThrow(TypeError);
  });
});

describe('statement plans', () => {
  it('numbers parameters as SQLite does: ? takes the next slot, ?NNN its own, a repeated name the same', () => {
    const plan = statementPlan('SELECT ?, ?5, :a, @b, :a, ?, $c');
    expect(plan.count).toBe(9);
    expect(plan.positional).toBe(true);
    expect([...plan.named]).toEqual([
      ['a', [6]],
      ['b', [7]],
      ['c', [9]],
    ]);
    expect([...statementPlan('SELECT :x, @x').named]).toEqual([['x', [1, 2]]]);
  });

  it('ignores parameters in strings, identifiers and comments', () => {
    expect(statementPlan(`SELECT ':a', "?", [?b], -- ?c\n/* :d */ ?`).count).toBe(1);
  });

  it('counts statements, keeping a trigger body with its semicolons as one', () => {
    expect(statementPlan('SELECT 1;').statements).toBe(1);
    expect(statementPlan('SELECT 1; -- trailing').first).toBe('SELECT 1');
    expect(statementPlan('SELECT 1; SELECT 2').statements).toBe(2);
    expect(statementPlan(' -- only a comment').statements).toBe(0);
    const trigger = 'CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = n + 1; DELETE FROM z; END';
    expect(statementPlan(trigger).statements).toBe(1);
    expect(statementPlan(`${trigger}; SELECT 1`).statements).toBe(2);
  });

  it('binds arrays, single values and named objects, with the engine\'s codes for mistakes', () => {
    const named = statementPlan('SELECT :a, :b, :a');
    expect(bindValues(named, { a: 1, b: 2 }, '')).toEqual([1, 2]);
    expect(() => bindValues(named, { a: 1 }, '')).toThrow(expect.objectContaining({ code: ErrorCodes.PARAMETER_MISSING }));
    expect(() => bindValues(named, { a: 1, b: 2, c: 3 }, '')).toThrow(expect.objectContaining({ code: ErrorCodes.PARAMETER_UNKNOWN }));
    const positional = statementPlan('SELECT ?, ?');
    expect(bindValues(positional, ['x', null], '')).toEqual(['x', null]);
    expect(() => bindValues(positional, ['x'], '')).toThrow(expect.objectContaining({ code: ErrorCodes.PARAMETER_COUNT }));
    expect(() => bindValues(positional, undefined, '')).toThrow(expect.objectContaining({ code: ErrorCodes.PARAMETER_COUNT }));
    expect(bindValues(statementPlan('SELECT ?'), Buffer.from([1]), '')).toEqual([Buffer.from([1])]);
  });
});
