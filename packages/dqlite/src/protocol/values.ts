import { ErrorCodes, RapsqliteError, type IntegerMode, type SqlValue } from '@rapsqlite/engine';
import { MAX_PARAMS_V0, ROWS_DONE, ROWS_PART, ValueType } from './constants.ts';
import { align, MessageReader, protocolError } from './reader.ts';
import type { MessageWriter } from './writer.ts';

/**
 * Appends a parameter tuple: a count, one type byte per value (padded to a word), then the values. Up to 255 values
 * the count is one byte (schema 0); beyond, four (schema 1). No tuple at all for no values, as the protocol wants.
 * Returns the schema the message must carry.
 */
export function writeParams(writer: MessageWriter, values: readonly SqlValue[], sql: string): 0 | 1 {
  const count = values.length;
  if (count === 0) return 0;
  const schema = count > MAX_PARAMS_V0 ? 1 : 0;
  if (schema === 0) writer.uint8(count);
  else writer.uint32(count);
  for (let i = 0; i < count; i++) writer.uint8(typeOf(values[i] as SqlValue, i, sql));
  writer.pad();
  for (let i = 0; i < count; i++) {
    const value = values[i] as SqlValue;
    if (value === null) writer.uint64(0);
    else if (typeof value === 'number') {
      if (isInteger(value)) writer.int64(value);
      else writer.float64(value);
    } else if (typeof value === 'bigint') writer.int64(value);
    else if (typeof value === 'string') writer.text(value);
    else writer.blob(value);
  }
  return schema;
}

function isInteger(value: number): boolean {
  return Number.isSafeInteger(value) && !Object.is(value, -0);
}

function typeOf(value: SqlValue, index: number, sql: string): number {
  if (value === null) return ValueType.null;
  switch (typeof value) {
    case 'number':
      return isInteger(value) ? ValueType.integer : ValueType.float;
    case 'bigint':
      return ValueType.integer;
    case 'string':
      // The protocol's strings end at the first NUL: the server would store a truncated string without a word.
      if (value.includes('\u0000')) {
        const error = new RapsqliteError(
          ErrorCodes.PARAMETER_ENCODING,
          `Parameter ${index + 1} is a string holding U+0000, which dqlite's wire protocol cannot carry; bind it as a Buffer`,
          { sql },
        );
        Object.defineProperty(error, 'parameter', { value: String(index + 1), enumerable: true });
        throw error;
      }
      return ValueType.text;
    default:
      return ValueType.blob;
  }
}

/** How rows are read back. */
export interface RowDecoding {
  readonly integers: IntegerMode;
  /** BOOLEAN columns as booleans and DATETIME/DATE/TIMESTAMP columns as `Date`s, instead of SQLite's own values. */
  readonly typed: boolean;
  readonly sql: string;
}

/** One batch of rows from a ROWS message. */
export interface RowBatch {
  readonly columns: string[];
  /** False when more batches of the same result follow. */
  readonly done: boolean;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Decodes a ROWS message: column names, then rows, each a header of 4-bit type codes padded to a word and its
 * values, until the word that ends the batch. Appends each row's values to `out` (when given) and returns the
 * names and whether the result is complete. An integer beyond 2^53 in `'number'` mode throws
 * `ERR_RAPSQLITE_INTEGER_OVERFLOW` once the batch is read, so the caller can drain the rest of the response.
 */
export function readRows(body: Buffer, decoding: RowDecoding, out: unknown[][] | undefined, limit = Infinity): RowBatch & { error?: RapsqliteError } {
  const reader = new MessageReader(body);
  const width = reader.uint64();
  if (width > 32767) throw protocolError(`A dqlite result claims ${width} columns`);
  const columns = new Array<string>(width);
  for (let c = 0; c < width; c++) columns[c] = reader.text();
  const headerBytes = align(Math.ceil(width / 2));
  let error: RapsqliteError | undefined;
  for (;;) {
    if (reader.remaining < 8) throw protocolError('A dqlite batch of rows has no end marker');
    const marker = body[reader.offset] as number;
    if (marker === ROWS_DONE || marker === ROWS_PART) return { columns, done: marker === ROWS_DONE, ...(error === undefined ? {} : { error }) };
    const header = reader.offset;
    reader.skip(headerBytes);
    const keep = out !== undefined && out.length < limit;
    const row: unknown[] = keep ? new Array<unknown>(width) : [];
    for (let c = 0; c < width; c++) {
      const byte = body[header + (c >> 1)] as number;
      const type = c & 1 ? byte >> 4 : byte & 0x0f;
      const value = readValue(reader, type, decoding, columns[c] as string, keep && error === undefined);
      if (value instanceof RapsqliteError) {
        error ??= value;
        continue;
      }
      if (keep) row[c] = value;
    }
    if (keep && error === undefined) (out as unknown[][]).push(row);
  }
}

function readValue(reader: MessageReader, type: number, decoding: RowDecoding, column: string, wanted: boolean): unknown {
  const body = reader.body;
  switch (type) {
    case ValueType.integer:
    case ValueType.unixTime: {
      const at = reader.offset;
      reader.skip(8);
      if (!wanted) return undefined;
      const value = integer(body, at, decoding, column);
      if (type === ValueType.unixTime && decoding.typed && !(value instanceof RapsqliteError)) return new Date(Number(value) * 1000);
      return value;
    }
    case ValueType.float:
      return reader.float64();
    case ValueType.text:
      return reader.text();
    case ValueType.iso8601: {
      const text = reader.text();
      // dqlite sends NULL in a date column as an empty string: there is no way to tell an empty string apart.
      if (text === '') return null;
      if (!decoding.typed) return text;
      const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
      return Number.isNaN(date.getTime()) ? text : date;
    }
    case ValueType.boolean: {
      const at = reader.offset;
      reader.skip(8);
      const value = body.readUInt32LE(at) !== 0 || body.readUInt32LE(at + 4) !== 0;
      return decoding.typed ? value : value ? 1 : 0;
    }
    case ValueType.blob:
      return reader.blob();
    case ValueType.null:
      reader.skip(8);
      return null;
    default:
      throw protocolError(`A dqlite row holds a value of unknown type ${type}`);
  }
}

/** An int64 read as the integer mode says: a number when exact, else a bigint or the overflow error. */
function integer(body: Buffer, at: number, decoding: RowDecoding, column: string): number | bigint | RapsqliteError {
  if (decoding.integers === 'bigint') return body.readBigInt64LE(at);
  const low = body.readUInt32LE(at);
  const high = body.readInt32LE(at + 4);
  // |value| ≤ 2^53 − 1 exactly when the high word lies in [−2^21, 2^21) and the value is not −2^53 itself.
  if (high >= -0x20_0000 && high < 0x20_0000 && !(high === -0x20_0000 && low === 0)) return high * TWO_32 + low;
  if (decoding.integers === 'auto') return body.readBigInt64LE(at);
  return new RapsqliteError(
    ErrorCodes.INTEGER_OVERFLOW,
    `Column "${column}" holds an integer beyond ±(2^53−1); read it with { integers: 'bigint' } or 'auto'`,
    { sql: decoding.sql },
  );
}

/** A rowid or count from a RESULT message, as the integer mode says (a rowid beyond 2^53 stays a bigint). */
export function readRowid(reader: MessageReader, integers: IntegerMode): number | bigint {
  const at = reader.offset;
  reader.skip(8);
  const value = reader.body.readBigInt64LE(at);
  if (integers === 'bigint') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
