import { RapsqliteError } from '@rapsqlite/engine';
import { DqliteErrorCodes } from '../errors.ts';

/**
 * Encodes one message: fields are appended in little-endian words, strings and blobs padded to the next word. One
 * writer is reused for every request of a connection; `finish` copies the message out.
 */
export class MessageWriter {
  #buffer = Buffer.allocUnsafe(4096);
  #offset = 8;

  /** Starts a new message (the header is filled in by `finish`). */
  reset(): this {
    this.#offset = 8;
    return this;
  }

  #ensure(bytes: number): void {
    const needed = this.#offset + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#offset);
    this.#buffer = grown;
  }

  uint8(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#offset++] = value;
    return this;
  }

  uint32(value: number): this {
    this.#ensure(4);
    this.#buffer.writeUInt32LE(value, this.#offset);
    this.#offset += 4;
    return this;
  }

  uint64(value: number | bigint): this {
    this.#ensure(8);
    if (typeof value === 'bigint') this.#buffer.writeBigUInt64LE(value, this.#offset);
    else {
      this.#buffer.writeUInt32LE(value >>> 0, this.#offset);
      this.#buffer.writeUInt32LE(Math.floor(value / 0x1_0000_0000) >>> 0, this.#offset + 4);
    }
    this.#offset += 8;
    return this;
  }

  int64(value: number | bigint): this {
    this.#ensure(8);
    if (typeof value === 'bigint') this.#buffer.writeBigInt64LE(value, this.#offset);
    else {
      // A safe integer: its low 32 bits and the rest, two's complement.
      const high = Math.floor(value / 0x1_0000_0000);
      this.#buffer.writeUInt32LE((value - high * 0x1_0000_0000) >>> 0, this.#offset);
      this.#buffer.writeInt32LE(high, this.#offset + 4);
    }
    this.#offset += 8;
    return this;
  }

  float64(value: number): this {
    this.#ensure(8);
    this.#buffer.writeDoubleLE(value, this.#offset);
    this.#offset += 8;
    return this;
  }

  /** Zero bytes up to the next word boundary. */
  pad(): this {
    const rest = this.#offset % 8;
    if (rest === 0) return this;
    const bytes = 8 - rest;
    this.#ensure(bytes);
    this.#buffer.fill(0, this.#offset, this.#offset + bytes);
    this.#offset += bytes;
    return this;
  }

  /** A NUL-terminated UTF-8 string, padded. The caller has made sure `value` holds no NUL. */
  text(value: string): this {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.#ensure(bytes + 8);
    this.#buffer.write(value, this.#offset, bytes, 'utf8');
    this.#offset += bytes;
    this.#buffer[this.#offset++] = 0;
    return this.pad();
  }

  /** A length word and the bytes, padded. */
  blob(value: Uint8Array): this {
    this.uint64(value.byteLength);
    this.#ensure(value.byteLength + 8);
    this.#buffer.set(value, this.#offset);
    this.#offset += value.byteLength;
    return this.pad();
  }

  /** The message with its header, as a buffer of its own. */
  finish(type: number, schema = 0): Buffer {
    this.pad();
    const words = (this.#offset - 8) / 8;
    if (words > 0xffff_ffff) throw new RapsqliteError(DqliteErrorCodes.PROTOCOL, 'The request is too large for one dqlite message');
    this.#buffer.writeUInt32LE(words, 0);
    this.#buffer[4] = type;
    this.#buffer[5] = schema;
    this.#buffer[6] = 0;
    this.#buffer[7] = 0;
    return Buffer.from(this.#buffer.subarray(0, this.#offset));
  }
}
