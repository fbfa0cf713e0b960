import type { RequestKind, RequestResults } from '../connection/connection.ts';
import type { Row } from '../types.ts';
import type { IntModeCode, RowsPayload } from '../worker/protocol.ts';
import type { WorkerSession } from '../worker/session.ts';

/** A request as the worker receives it. */
export interface WorkerRequest {
  readonly id: number;
  readonly sql: string;
  readonly params: unknown;
  readonly mode: IntModeCode;
  readonly extra: unknown;
}

/** Lets a handler send part of a large answer before it finishes. */
export interface ReplyChannel {
  partial(payload: unknown): void;
}

/** What decoding a payload on the caller's thread can use. */
export interface DecodeContext {
  /** Rebuilds row objects from rows on the wire. */
  rows(payload: RowsPayload): Row[];
  /** Rows that arrived earlier in partial answers. */
  readonly chunks: Row[][] | undefined;
}

/**
 * Everything about one kind of request, in one place: how it runs in the worker and how its answer is decoded on the
 * caller's thread. The handler table (`table.ts`) lists them; the wire carries a request's index in it.
 */
export interface RequestHandler<K extends RequestKind = RequestKind> {
  readonly kind: K;
  /**
   * Whether the request may change the database: `'always'` (a write), `'sql'` (a query, which may be
   * `INSERT … RETURNING`: its SQL tells), or `'never'`.
   */
  readonly writes: 'always' | 'sql' | 'never';
  /** Touches no data: safe to send again to a replacement worker when its answer was lost. */
  readonly harmless: boolean;
  /**
   * Runs in the background of its worker (a backup): the worker starts it and goes on with the next requests; its
   * answer comes when it ends. It is cancelled by an `abortTask` request, not by the shared table.
   */
  readonly background?: boolean;
  /** Decodes a partial answer other than rows (a backup's progress), for the call's `onPartial`. */
  partial?(payload: unknown): unknown;
  /** Runs in the worker, next to the connection. May return a promise; the worker then waits for it. */
  execute(session: WorkerSession, request: WorkerRequest, reply: ReplyChannel): unknown;
  /** Rebuilds the result from the worker's payload, on the caller's thread. */
  decode(payload: unknown, context: DecodeContext): RequestResults[K];
}
