import { RapsqliteError } from '@rapsqlite/engine';
import { DqliteErrorCodes } from '../errors.ts';

/** Reads the fields of one message body, word-aligned as the protocol lays them out. */
export class MessageReader {
  readonly body: Buffer;
  offset = 0;

  constructor(body: Buffer) {
    this.body = body;
  }

  get remaining(): number {
    return this.body.length - this.offset;
  }

  #need(bytes: number): void {
    if (this.offset + bytes > this.body.length) throw protocolError('A dqlite message ended early');
  }

  uint32(): number {
    this.#need(4);
    const value = this.body.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A uint64 as a number; exact below 2^53, which every count and size on the wire is. */
  uint64(): number {
    this.#need(8);
    const low = this.body.readUInt32LE(this.offset);
    const high = this.body.readUInt32LE(this.offset + 4);
    this.offset += 8;
    return high * 0x1_0000_0000 + low;
  }

  bigUint64(): bigint {
    this.#need(8);
    const value = this.body.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  float64(): number {
    this.#need(8);
    const value = this.body.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  text(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end === -1) throw protocolError('A dqlite string has no terminator');
    const value = this.body.toString('utf8', this.offset, end);
    this.offset = align(end + 1);
    return value;
  }

  /** A blob as a buffer of its own (the message's memory is reused). */
  blob(): Buffer {
    const length = this.uint64();
    this.#need(length);
    const value = Buffer.allocUnsafe(length);
    this.body.copy(value, 0, this.offset, this.offset + length);
    this.offset = align(this.offset + length);
    return value;
  }

  skip(bytes: number): void {
    this.#need(bytes);
    this.offset += bytes;
  }
}

/** The next multiple of 8. */
export function align(offset: number): number {
  return (offset + 7) & ~7;
}

/** The error for a message the client cannot make sense of. */
export function protocolError(message: string, cause?: unknown): RapsqliteError {
  return new RapsqliteError(DqliteErrorCodes.PROTOCOL, message, cause === undefined ? {} : { cause });
}
