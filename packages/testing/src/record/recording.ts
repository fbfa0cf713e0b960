import type { OperationKind } from '@rapsqlite/engine';
import type { Encoded } from './codec.ts';

/** The format version of recording files. */
export const RECORDING_VERSION = 1;

/** A recorded error: enough to rebuild a coded error. */
export interface RecordedError {
  readonly code: string;
  readonly message: string;
  /** The failing parameter set of a `runMany`. */
  readonly index?: number;
}

/** One recorded operation. */
export interface RecordedEntry {
  readonly kind: OperationKind;
  readonly sql: string;
  /** Encoded parameters (`paramsList` for `runMany`), absent when the kind has none. */
  readonly params?: Encoded;
  /** The encoded result; for `iterate`, the rows delivered. */
  result?: Encoded;
  /** For `iterate`: whether the stream was read to its end (false when the consumer stopped early). */
  complete?: boolean;
  /** The error the operation failed with. */
  error?: RecordedError;
}

/** The content of a recording file. */
export interface RecordingFile {
  readonly format: 'rapsqlite-recording';
  readonly version: number;
  readonly entries: readonly RecordedEntry[];
}
