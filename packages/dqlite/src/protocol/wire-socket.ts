import net from 'node:net';
import tls from 'node:tls';
import { PROTOCOL_VERSION } from './constants.ts';
import { protocolError } from './reader.ts';

/** What a handler answers for each message of its response. */
export const Consumed = {
  /** The message belongs to the response, which goes on. */
  More: 0,
  /** The message was the response's last. */
  Done: 1,
  /** The response ended before this message, which belongs to the next handler. */
  Pass: 2,
} as const;

/** One of {@link Consumed}. */
export type Consumed = (typeof Consumed)[keyof typeof Consumed];

/** Receives the messages of one response, in order. */
export interface ResponseHandler {
  message(type: number, body: Buffer): Consumed;
  /** The connection closed before the response was complete. */
  lost(error: Error): void;
}

/** How to reach a node. */
export interface DialOptions {
  /** Use TLS, with these options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`…); undefined for plain TCP. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** How long connecting (and the TLS handshake) may take. */
  readonly timeoutMs: number;
}

/** `host:port` or `[v6]:port` split in two. */
export function splitAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port < 1 || port > 65535) throw new TypeError(`"${address}" is not host:port`);
  return { host: (match[1] ?? match[2]) as string, port };
}

/**
 * One connection to a dqlite node: sends messages (those sent in one tick leave in one write) and hands the messages
 * that come back to the handlers in the order their requests were sent, the protocol answering each request in turn.
 */
export class WireSocket {
  readonly address: string;
  readonly #socket: net.Socket;
  readonly #handlers: ResponseHandler[] = [];
  #head = 0;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #corked = false;
  #closed: Error | undefined;
  readonly #onClose: Array<(error: Error) => void> = [];

  private constructor(address: string, socket: net.Socket) {
    this.address = address;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#end(error));
    socket.on('close', () => this.#end(new Error('The connection was closed')));
    socket.on('end', () => this.#end(new Error('The server closed the connection')));
  }

  /** Connects to `address` (dialled at `dial` when given) and sends the protocol version. */
  static connect(address: string, options: DialOptions, dial = address): Promise<WireSocket> {
    const { host, port } = splitAddress(dial);
    return new Promise((resolve, reject) => {
      const socket = options.tls === undefined ? net.connect({ host, port }) : tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...options.tls, host, port });
      const timer = setTimeout(() => fail(new Error(`Connecting to ${dial} took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        const wire = new WireSocket(address, socket);
        const version = Buffer.alloc(8);
        version.writeBigUInt64LE(PROTOCOL_VERSION);
        socket.write(version);
        resolve(wire);
      });
    });
  }

  /** Responses still awaited. */
  get pending(): number {
    return this.#handlers.length - this.#head;
  }

  /** The handler whose response comes next, if any. */
  get current(): ResponseHandler | undefined {
    return this.#handlers[this.#head];
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Calls `listener` once when the connection is gone, after every pending handler was told. */
  onClose(listener: (error: Error) => void): void {
    if (this.#closed !== undefined) listener(this.#closed);
    else this.#onClose.push(listener);
  }

  /** Sends a request whose response `handler` receives. */
  send(message: Buffer, handler: ResponseHandler): void {
    if (this.#closed !== undefined) {
      handler.lost(this.#closed);
      return;
    }
    this.#handlers.push(handler);
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(message);
  }

  /** Sends a request with a one-message response and resolves with that message. */
  call(message: Buffer): Promise<{ type: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      this.send(message, {
        message(type, body) {
          resolve({ type, body: Buffer.from(body) });
          return Consumed.Done;
        },
        lost: reject,
      });
    });
  }

  /** Lets the process exit while the connection is open (it is idle). */
  unref(): void {
    this.#socket.unref();
  }

  /** Keeps the process alive while the connection is open (calls are in flight). */
  ref(): void {
    this.#socket.ref();
  }

  /** Stops reading (the server then waits on TCP backpressure). */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** Closes the connection; pending handlers are told with `error`. */
  destroy(error: Error = new Error('The connection was closed')): void {
    this.#socket.destroy();
    this.#end(error);
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= 8 && this.#closed === undefined) {
      const header = this.#peek(8);
      const length = 8 + header.readUInt32LE(0) * 8;
      if (this.#buffered < length) return;
      const message = this.#take(length);
      this.#dispatch(message[4] as number, message.subarray(8));
    }
  }

  /** The first `bytes` buffered bytes, without consuming them. */
  #peek(bytes: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= bytes) return first;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  #take(bytes: number): Buffer {
    const first = this.#peek(bytes);
    this.#buffered -= bytes;
    if (first.length === bytes) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(bytes);
    return first.subarray(0, bytes);
  }

  #dispatch(type: number, body: Buffer): void {
    for (;;) {
      const handler = this.#handlers[this.#head];
      if (handler === undefined) {
        this.destroy(protocolError(`The server sent a message (type ${type}) that answers no request`));
        return;
      }
      let consumed: Consumed;
      try {
        consumed = handler.message(type, body);
      } catch (err) {
        this.destroy(protocolError('A dqlite response could not be decoded', err));
        return;
      }
      if (consumed === Consumed.More) return;
      this.#handlers[this.#head] = undefined as never;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#handlers.length) {
        this.#handlers.splice(0, this.#head);
        this.#head = 0;
      }
      if (consumed === Consumed.Done) return;
    }
  }

  #end(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#socket.destroy();
    const handlers = this.#handlers.slice(this.#head);
    this.#handlers.length = 0;
    this.#head = 0;
    for (const handler of handlers) handler.lost(error);
    for (const listener of this.#onClose.splice(0)) listener(error);
  }
}
