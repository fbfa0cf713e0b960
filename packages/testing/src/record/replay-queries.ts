import { readFileSync } from 'node:fs';
import { RapsqliteError, type Middleware, type Operation, type Row } from '@rapsqlite/engine';
import { TestingErrorCodes } from '../errors/codes.ts';
import { copyRow } from '../internal/rows.ts';
import { decode, fingerprint, type Encoded } from './codec.ts';
import { RECORDING_VERSION, type RecordedEntry, type RecordingFile } from './recording.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** How replayed operations are paired with recorded ones. */
export type ReplayMatch = 'sequence' | 'lookup';

/** Options of {@link replayQueries}. */
export interface ReplayQueriesOptions {
  /** The middleware's name. Default `'replay'`. */
  readonly name?: string;
  /**
   * `'sequence'` (default): the n-th operation must be the n-th recorded one (kind, SQL and parameters), so any change
   * of order, query or parameters is drift. `'lookup'`: each operation takes the first unused recorded one with the
   * same kind, SQL and parameters, whatever the order (for code that issues queries concurrently).
   */
  readonly match?: ReplayMatch;
}

/** A middleware that answers from a recording. */
export interface QueryReplayer extends Middleware {
  /** The recording file. */
  readonly file: string;
  /** How many recorded operations have not been replayed yet. */
  readonly remaining: number;
  /** Throws `ERR_RAPSQLITE_REPLAY_INCOMPLETE` if recorded operations were never replayed (queries were removed). */
  assertComplete(): void;
}

function fileError(file: string, reason: string): RapsqliteError {
  return new RapsqliteError(TestingErrorCodes.REPLAY_FILE, `${file} is not a usable rapsqlite recording: ${reason}`);
}

function load(file: string): RecordedEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RapsqliteError(TestingErrorCodes.REPLAY_FILE, `Cannot read the recording ${file}`, { cause: err });
  }
  let content: Partial<RecordingFile>;
  try {
    content = JSON.parse(text) as Partial<RecordingFile>;
  } catch (err) {
    throw new RapsqliteError(TestingErrorCodes.REPLAY_FILE, `${file} is not valid JSON`, { cause: err });
  }
  if (content?.format !== 'rapsqlite-recording') throw fileError(file, 'no "format": "rapsqlite-recording"');
  if (content.version !== RECORDING_VERSION) throw fileError(file, `version ${String(content.version)}, expected ${RECORDING_VERSION}`);
  if (!Array.isArray(content.entries)) throw fileError(file, 'no entries');
  return content.entries.map((e) => ({ ...e }));
}

function drift(op: Operation, message: string): RapsqliteError {
  return new RapsqliteError(TestingErrorCodes.REPLAY_DRIFT, message, { sql: op.sql });
}

function paramsKey(op: Operation): string | undefined {
  if (op.kind === 'runMany') return fingerprint(op.paramsList);
  if ('params' in op && op.params !== undefined) return fingerprint(op.params);
  return undefined;
}

function entryParamsKey(entry: RecordedEntry): string | undefined {
  return entry.params === undefined ? undefined : JSON.stringify(entry.params);
}

/** Rows from a recording; past the recorded rows of an incomplete stream, a drift error. */
function replayIterator(op: Operation, rows: Row[], entry: RecordedEntry): AsyncIterableIterator<Row> & AsyncDisposable {
  let position = 0;
  let done = false;
  const iterator: AsyncIterableIterator<Row> & AsyncDisposable = {
    async next() {
      if (done) return { done: true, value: undefined };
      if (position < rows.length) return { done: false, value: copyRow(rows[position++] as Row) };
      done = true;
      if (entry.error !== undefined) throw rebuild(op, entry);
      if (entry.complete === false) {
        throw drift(op, `The recording of this stream stopped after ${rows.length} row(s); the code now reads more`);
      }
      return { done: true, value: undefined };
    },
    async return() {
      done = true;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async [Symbol.asyncDispose]() {
      done = true;
    },
  };
  return iterator;
}

function rebuild(op: Operation, entry: RecordedEntry): RapsqliteError {
  const error = entry.error as NonNullable<RecordedEntry['error']>;
  const err = new RapsqliteError(error.code, error.message, { sql: op.sql });
  if (error.index !== undefined) Object.defineProperty(err, 'index', { value: error.index, enumerable: true });
  return err;
}

/**
 * Answers operations from a recording made by {@link recordQueries}, without running them. A query that differs
 * from the recording (kind, SQL or parameters), or one past its end, fails with `ERR_RAPSQLITE_REPLAY_DRIFT`;
 * `assertComplete()` reports recorded queries that were not replayed. Whole transactions run as usual around the
 * replayed statements, so the handle must still be open (an empty `':memory:'` database will do).
 *
 * @example
 * ```ts
 * const replay = replayQueries(new URL('./fixtures/report.json', import.meta.url).pathname);
 * const db = await open(':memory:', { middleware: [replay] });
 * expect(await buildReport(db)).toMatchSnapshot();
 * replay.assertComplete();
 * ```
 */
export function replayQueries(file: string, options: ReplayQueriesOptions = {}): QueryReplayer {
  if (typeof file !== 'string' || file === '') throw invalidArgument('replayQueries() takes a file path');
  const match = options.match ?? 'sequence';
  if (match !== 'sequence' && match !== 'lookup') throw invalidArgument("Option match must be 'sequence' or 'lookup'");
  const entries = load(file);
  const used = new Array<boolean>(entries.length).fill(false);
  let cursor = 0;

  const find = (op: Operation): RecordedEntry | RapsqliteError => {
    const key = paramsKey(op);
    if (match === 'sequence') {
      const entry = entries[cursor];
      if (entry === undefined) return drift(op, `The recording has ${entries.length} operation(s); this ${op.kind} call comes after them`);
      if (entry.kind !== op.kind || entry.sql !== op.sql) {
        return drift(op, `Operation ${cursor + 1} was recorded as ${entry.kind} ${JSON.stringify(entry.sql)}, but is now ${op.kind} ${JSON.stringify(op.sql)}`);
      }
      // Parameter values may be secrets: the message says that they differ, not what they are.
      if (entryParamsKey(entry) !== key) return drift(op, `Operation ${cursor + 1} (${op.kind}) has other parameters than when it was recorded`);
      used[cursor++] = true;
      return entry;
    }
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as RecordedEntry;
      if (!used[i] && entry.kind === op.kind && entry.sql === op.sql && entryParamsKey(entry) === key) {
        used[i] = true;
        return entry;
      }
    }
    return drift(op, `No unused recorded ${op.kind} call has this SQL and these parameters`);
  };

  const replay = (op: Operation): Promise<unknown> => {
    const found = find(op);
    if (found instanceof RapsqliteError) return Promise.reject(found);
    if (op.kind === 'iterate') {
      if (found.error !== undefined && found.result === undefined) return Promise.reject(rebuild(op, found));
      return Promise.resolve(replayIterator(op, (decode(found.result ?? []) as Row[]) ?? [], found));
    }
    if (found.error !== undefined) return Promise.reject(rebuild(op, found));
    return Promise.resolve(found.result === undefined ? undefined : decode(found.result as Encoded));
  };

  return {
    name: options.name ?? 'replay',
    file,
    get remaining() {
      return used.filter((u) => !u).length;
    },
    wrap: (next) => (op) => (op.kind === 'transaction' ? next(op) : replay(op)),
    assertComplete() {
      const left = entries.filter((_, i) => !used[i]);
      if (left.length > 0) {
        throw new RapsqliteError(
          TestingErrorCodes.REPLAY_INCOMPLETE,
          `${left.length} recorded operation(s) were not replayed, starting with ${left[0]?.kind} ${JSON.stringify(left[0]?.sql)}`,
        );
      }
    },
  };
}
