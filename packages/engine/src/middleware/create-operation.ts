import type { Operation, OperationOf, StatementOperation } from './operation.ts';
import type { Params, QueryOptions } from '../types.ts';

/**
 * A plugin's own statement reads rows as the engine returns them by default, whatever query-tool defaults the handle's
 * database was opened with (`rowMode: 'array'`, converters, adapters would otherwise reshape what the plugin parses).
 */
const RAW_OPTIONS = Object.freeze({ rowMode: 'object', converters: false, adapters: false }) as QueryOptions;

/**
 * Builds a statement operation for a plugin that sends one of its own down the chain (a slow-query plugin's
 * `EXPLAIN QUERY PLAN`, a health check): same shape as the engine's, in the transaction of `parent` when given (so it
 * runs on the same connection), with fresh attributes. Without `options`, it reads plain object rows and binds its
 * parameters as they are, whatever query-tool defaults (`rowMode`, `converters`, `adapters`) the database has.
 *
 * @example
 * ```ts
 * const plan = await next(createOperation('all', `EXPLAIN QUERY PLAN ${op.sql}`, op.params, { parent: op }));
 * ```
 */
export function createOperation<K extends StatementOperation['kind']>(
  kind: K,
  sql: string,
  params?: Params,
  options: { readonly parent?: Operation; readonly options?: QueryOptions } = {},
): OperationOf<K> {
  return {
    kind,
    sql,
    params,
    options: options.options ?? RAW_OPTIONS,
    transaction: options.parent?.transaction,
    connection: undefined,
    attributes: {},
  } as unknown as OperationOf<K>;
}

