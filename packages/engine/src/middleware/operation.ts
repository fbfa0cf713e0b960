import type { IterateOptions, Params, QueryOptions, Row, RunManyResult, RunResult, TransactionMode, ValuesResult } from '../types.ts';
import type { StatementInfo } from '../worker/protocol.ts';

/** Every kind of operation that travels down the middleware chain, as an `as const` tuple. */
export const OPERATION_KINDS = [
  'exec',
  'run',
  'runMany',
  'get',
  'all',
  'values',
  'iterate',
  'prepare',
  'transaction',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'rollbackTo',
] as const;

/** The kind of an {@link Operation}. */
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The role of a connection: the one that writes, or a read-only one. A single engine connection is the writer. */
export type ConnectionRole = 'writer' | 'reader';

/** Which connection ran (or will run) an operation. */
export interface ConnectionInfo {
  /** The writer or a reader. */
  readonly role: ConnectionRole;
  /** A number unique among the connections of this process. */
  readonly id: number;
  /** The database file's path as given to `open`, or `':memory:'`. */
  readonly path: string;
}

/** The transaction an operation belongs to. */
export interface TransactionInfo {
  /** A number unique among the transactions of this process. */
  readonly id: number;
  /** 0 for the outermost transaction, 1 and more for nested savepoints. */
  readonly depth: number;
  /** How the outermost transaction began. */
  readonly mode: TransactionMode;
}

interface OperationBase<K extends OperationKind> {
  /** What the operation does; the union's discriminant. */
  readonly kind: K;
  /** The SQL text. A middleware may rewrite it before calling `next`. */
  sql: string;
  /** The options of the call. */
  readonly options: QueryOptions;
  /** The enclosing transaction, or undefined outside one. */
  readonly transaction: TransactionInfo | undefined;
  /**
   * The connection that ran the operation. The middleware chain runs above connection choice, so it is unset when
   * a middleware first sees the operation, and set once one is chosen: a middleware reads it after `next` settles.
   * It stays unset for an operation a middleware answered itself (a mock) and for one that failed before reaching
   * a connection (a cancelled wait, a full queue).
   */
  connection: ConnectionInfo | undefined;
  /** A bag for plugins to share facts about this operation (a retry count, a span). Keys should be namespaced. */
  readonly attributes: Record<string, unknown>;
}

/** A statement with parameters: `run`, `get`, `all`, `values`, `iterate`, `prepare`. */
export interface StatementOperation<K extends 'run' | 'get' | 'all' | 'values' | 'prepare' = 'run' | 'get' | 'all' | 'values' | 'prepare'>
  extends OperationBase<K> {
  /** The bound parameters. A middleware may rewrite them before calling `next`. */
  params: Params | undefined;
}

/** `iterate`: resolves to an async iterator of rows. */
export interface IterateOperation extends OperationBase<'iterate'> {
  params: Params | undefined;
  readonly options: IterateOptions;
}

/** `exec`: a script of one or more statements, without parameters. */
export type ExecOperation = OperationBase<'exec'>;

/** `runMany`: one statement over many parameter sets, in one round trip and one transaction. */
export interface RunManyOperation extends OperationBase<'runMany'> {
  paramsList: readonly Params[];
}

/**
 * A whole transaction (or nested savepoint) as one operation: `next(op)` runs BEGIN, the callback and COMMIT (or
 * ROLLBACK), so a middleware can time it as a parent of its statements or run it again from the start.
 */
export interface TransactionOperation extends OperationBase<'transaction'> {
  /** How the outermost transaction begins. */
  readonly mode: TransactionMode;
  /** Nesting depth of the transaction this operation starts: 0 for BEGIN, 1 and more for a SAVEPOINT. */
  readonly depth: number;
  /** A read-only transaction (a pool runs it on a reader). */
  readonly readonly: boolean;
  /** The user's callback. Running `next(op)` again runs it again. */
  readonly callback: (tx: never) => Promise<unknown>;
}

/** The kinds of the statements that frame a transaction. */
export type ControlKind = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo';

/** The statements that frame a transaction: BEGIN, COMMIT, ROLLBACK and their savepoint twins. */
export type ControlOperation<K extends ControlKind = ControlKind> = OperationBase<K>;

/** The operation passed down the middleware chain: a discriminated union on `kind`, one member per kind. */
export type Operation =
  | StatementOperation<'run'>
  | StatementOperation<'get'>
  | StatementOperation<'all'>
  | StatementOperation<'values'>
  | StatementOperation<'prepare'>
  | IterateOperation
  | ExecOperation
  | RunManyOperation
  | TransactionOperation
  | ControlOperation<'begin'>
  | ControlOperation<'commit'>
  | ControlOperation<'rollback'>
  | ControlOperation<'savepoint'>
  | ControlOperation<'release'>
  | ControlOperation<'rollbackTo'>;

/** The operation of one kind. */
export type OperationOf<K extends OperationKind> = Extract<Operation, { readonly kind: K }>;

/**
 * What each kind of operation resolves with, down the middleware chain: `next(op)` for an operation narrowed to
 * `'all'` is `Promise<Row[]>`. A plugin reads results through this map instead of guessing their shapes.
 */
export interface OperationResults {
  exec: undefined;
  run: RunResult;
  runMany: RunManyResult;
  get: Row | undefined;
  all: Row[];
  values: ValuesResult;
  iterate: AsyncIterableIterator<Row> & AsyncDisposable;
  prepare: StatementInfo;
  /** The callback's value. */
  transaction: unknown;
  begin: undefined;
  commit: undefined;
  rollback: undefined;
  savepoint: undefined;
  release: undefined;
  rollbackTo: undefined;
}

/** The result of an operation of kind `K`. */
export type OperationResult<K extends OperationKind = OperationKind> = OperationResults[K];
