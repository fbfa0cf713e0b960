import type { ConnectionProvider } from '../connection/connection.ts';
import type { QueryTools } from '../toolbox/query-tools.ts';
import type { IntegerMode } from '../types.ts';

/** The settings a handle applies to every call (from `open()`'s options, or a pool's connection options). */
export interface HandleSettings {
  /** The default integer mode. */
  readonly integers: IntegerMode;
  /** The default deadline of a call, in milliseconds. */
  readonly timeoutMs: number | undefined;
  /** Record the time each statement spends inside SQLite in the operation's attributes. */
  readonly statementTiming: boolean;
  /** The handle only reads. */
  readonly readonly: boolean;
  /**
   * The query tools every call applies (adapters, converters, the default row shape), from the `adapters`,
   * `converters` and `rowMode` options. Absent: the defaults (the built-in adapters, no converters, object rows).
   */
  readonly tools?: QueryTools;
}

/** What a handle and every handle made from it (`with`, transactions) share. */
export interface Core {
  readonly provider: ConnectionProvider;
  readonly settings: HandleSettings;
}
