import { renameSync, writeFileSync } from 'node:fs';
import type { Execute, Middleware, Operation, Row } from '@rapsqlite/engine';
import { encode } from './codec.ts';
import { RECORDING_VERSION, type RecordedEntry, type RecordedError, type RecordingFile } from './recording.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** Options of {@link recordQueries}. */
export interface RecordQueriesOptions {
  /** The middleware's name. Default `'record'`. */
  readonly name?: string;
  /** Write the file after every operation that settles (coalesced per tick). Default true; else call `save()`. */
  readonly autosave?: boolean;
}

/** A middleware that records operations and their real results. */
export interface QueryRecorder extends Middleware, AsyncDisposable {
  /** The recording file. */
  readonly file: string;
  /** The operations recorded so far, in the order they started. */
  readonly entries: readonly RecordedEntry[];
  /** Writes the recording (atomically: a temporary file renamed over the target). */
  save(): Promise<void>;
}

/** Turns a thrown value into what a recording keeps of it. */
export function toRecordedError(err: unknown): RecordedError {
  const e = err as { code?: unknown; message?: unknown; index?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'ERR_UNKNOWN';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.index === 'number' ? { code, message, index: e.index } : { code, message };
}

function paramsOf(op: Operation): { params?: ReturnType<typeof encode> } {
  if (op.kind === 'runMany') return { params: encode(op.paramsList) };
  if ('params' in op && op.params !== undefined) return { params: encode(op.params) };
  return {};
}

/**
 * Records every operation that passes through it, with its real result or error, into a JSON file that
 * {@link replayQueries} can answer from later without SQLite. Register it innermost (last), so it records what the
 * database really returned. Whole-transaction operations are not recorded (their statements and BEGIN/COMMIT are).
 * Parameters and results are written as they are: do not record secrets.
 *
 * @example
 * ```ts
 * const recorder = recordQueries(new URL('./fixtures/report.json', import.meta.url).pathname);
 * const db = await open('real.db', { middleware: [recorder] });
 * await buildReport(db);
 * await recorder.save();
 * ```
 */
export function recordQueries(file: string, options: RecordQueriesOptions = {}): QueryRecorder {
  if (typeof file !== 'string' || file === '') throw invalidArgument('recordQueries() takes a file path');
  const autosave = options.autosave ?? true;
  const entries: RecordedEntry[] = [];
  const pending = new WeakSet<RecordedEntry>();
  let saveQueued = false;

  const writeNow = (): void => {
    const content: RecordingFile = { format: 'rapsqlite-recording', version: RECORDING_VERSION, entries: entries.filter((e) => !pending.has(e)) };
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(temporary, file);
  };
  const settled = (entry: RecordedEntry): void => {
    pending.delete(entry);
    if (!autosave || saveQueued) return;
    saveQueued = true;
    queueMicrotask(() => {
      saveQueued = false;
      try {
        writeNow();
      } catch (err) {
        // Recording is observation: a failed write is reported, and the query it follows still succeeds.
        process.emitWarning(`rapsqlite: could not write the recording ${file}: ${(err as Error).message}`);
      }
    });
  };

  const record = async (op: Operation, next: Execute): Promise<unknown> => {
    if (op.kind === 'transaction') return next(op);
    const entry: RecordedEntry = { kind: op.kind, sql: op.sql, ...paramsOf(op) };
    entries.push(entry);
    pending.add(entry);
    let result: unknown;
    try {
      result = await next(op);
    } catch (err) {
      entry.error = toRecordedError(err);
      settled(entry);
      throw err;
    }
    if (op.kind === 'iterate') return recordingIterator(result as AsyncIterableIterator<Row>, entry, settled);
    try {
      entry.result = encode(result);
    } catch (err) {
      entry.error = { code: 'ERR_RAPSQLITE_REPLAY_FILE', message: `The result could not be recorded: ${(err as Error).message}` };
    }
    settled(entry);
    return result;
  };

  return {
    name: options.name ?? 'record',
    file,
    entries,
    wrap: (next) => (op) => record(op, next),
    save: async () => writeNow(),
    [Symbol.asyncDispose]: async () => writeNow(),
  };
}

/** Passes rows through while keeping them for the recording; the entry is complete when the stream ends or stops. */
function recordingIterator(
  inner: AsyncIterableIterator<Row>,
  entry: RecordedEntry,
  settled: (entry: RecordedEntry) => void,
): AsyncIterableIterator<Row> & AsyncDisposable {
  const rows: Row[] = [];
  let finished = false;
  const finish = (complete: boolean, error?: unknown): void => {
    if (finished) return;
    finished = true;
    entry.result = encode(rows);
    entry.complete = complete;
    if (error !== undefined) entry.error = toRecordedError(error);
    settled(entry);
  };
  const iterator: AsyncIterableIterator<Row> & AsyncDisposable = {
    async next() {
      let step: IteratorResult<Row>;
      try {
        step = await inner.next();
      } catch (err) {
        finish(false, err);
        throw err;
      }
      if (step.done === true) finish(true);
      else if (!finished) rows.push(step.value);
      return step;
    },
    async return() {
      finish(false);
      await inner.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async [Symbol.asyncDispose]() {
      await iterator.return?.();
    },
  };
  return iterator;
}
