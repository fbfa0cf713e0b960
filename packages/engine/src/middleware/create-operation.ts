import type { Operation, OperationOf, StatementOperation } from './operation.ts';
import type { Params, QueryOptions } from '../types.ts';

const NO_OPTIONS: QueryOptions = Object.freeze({});

/**
 * Builds a statement operation for a plugin that sends one of its own down the chain (a slow-query plugin's
 * `EXPLAIN QUERY PLAN`, a health check): same shape as the engine's, in the transaction of `parent` when given (so it
 * runs on the same connection), with fresh attributes.
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
    options: options.options ?? NO_OPTIONS,
    transaction: options.parent?.transaction,
    connection: undefined,
    attributes: {},
  } as unknown as OperationOf<K>;
}

