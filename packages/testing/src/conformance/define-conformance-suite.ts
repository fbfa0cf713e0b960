import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Middleware, Queryable } from '@rapsqlite/engine';
import { cancellationChecks } from './checks/cancellation.ts';
import { errorChecks } from './checks/errors.ts';
import { middlewareChecks } from './checks/middleware.ts';
import { prepareChecks } from './checks/prepare.ts';
import { resultChecks } from './checks/results.ts';
import { runManyChecks } from './checks/run-many.ts';
import { streamingChecks } from './checks/streaming.ts';
import { transactionChecks } from './checks/transactions.ts';
import type { ConformanceCheck } from './check.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/**
 * A handle the conformance suite can test: the shared query API, `close()`, and `with()` to add middleware on a new
 * handle that shares the connections. A `Database` from `@rapsqlite/engine` is one; a pool is another.
 */
export interface ConformanceHandle extends Queryable {
  /** Closes the handle; calls made afterwards fail with `ERR_RAPSQLITE_CLOSED`. Must be idempotent. */
  close(): Promise<void>;
  /** Returns a handle on the same connections with more middleware (first given = outermost of the new ones). */
  with(...middleware: Middleware[]): Queryable;
}

/**
 * Opens a fresh handle on a new database file inside `dir` (an empty temporary folder that the suite removes after
 * the test), with default options: `integers: 'number'`, foreign keys on, a writable file.
 */
export type ConformanceFactory = (dir: string) => Promise<ConformanceHandle>;

/**
 * The two functions of a test runner that the suite needs. vitest's and `node:test`'s `describe`/`it` both fit, so
 * this package imports neither.
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
}

/** Options of {@link defineConformanceSuite}. */
export interface ConformanceSuiteOptions extends ConformanceRunner {
  /**
   * Checks to leave out, by group (`'transactions'`) or by `'group > name'` as the runner prints it. Skipped checks
   * are still registered, through `it.skip` when the runner has it, so a report shows what was left out.
   */
  readonly skip?: readonly string[];
}

/** The groups of checks, in the order they are registered. */
export const CONFORMANCE_GROUPS = ['results', 'errors', 'transactions', 'streaming', 'runMany', 'prepare', 'cancellation', 'middleware'] as const;

/** A group of checks of the conformance suite. */
export type ConformanceGroup = (typeof CONFORMANCE_GROUPS)[number];

const CHECKS: Readonly<Record<ConformanceGroup, readonly ConformanceCheck[]>> = {
  results: resultChecks,
  errors: errorChecks,
  transactions: transactionChecks,
  streaming: streamingChecks,
  runMany: runManyChecks,
  prepare: prepareChecks,
  cancellation: cancellationChecks,
  middleware: middlewareChecks,
};

/**
 * Registers the shared conformance suite: every behaviour of the query API that any rapsqlite handle (a database, a
 * pool, a future adapter) must show — results and value types, coded errors, transactions and their isolation,
 * streaming, `runMany`, prepared statements, cancellation and what middleware sees. Each check opens its own handle on a fresh
 * temporary file and closes it afterwards; assertions use `node:assert`, so any runner with `describe`/`it` works.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts (vitest)
 * import { describe, it } from 'vitest';
 * import { join } from 'node:path';
 * import { open } from '@rapsqlite/engine';
 * import { defineConformanceSuite } from '@rapsqlite/testing';
 *
 * defineConformanceSuite('engine', (dir) => open(join(dir, 'test.db')), { describe, it });
 * ```
 */
export function defineConformanceSuite(name: string, factory: ConformanceFactory, options: ConformanceSuiteOptions): void {
  if (typeof factory !== 'function') throw invalidArgument('defineConformanceSuite() takes a factory (dir) => Promise<handle>');
  if (typeof options?.describe !== 'function' || typeof options.it !== 'function') {
    throw invalidArgument('defineConformanceSuite() needs the test runner\'s describe and it: { describe, it }');
  }
  const { describe, it } = options;
  const skip = new Set(options.skip ?? []);
  const skipIt = (it as { skip?: unknown }).skip;
  describe(`rapsqlite conformance: ${name}`, () => {
    for (const group of CONFORMANCE_GROUPS) {
      describe(group, () => {
        for (const check of CHECKS[group]) {
          const body = () => runCheck(factory, check);
          if (skip.has(group) || skip.has(`${group} > ${check.name}`)) {
            if (typeof skipIt === 'function') (skipIt as ConformanceRunner['it']).call(it, check.name, body);
            continue;
          }
          it(check.name, body);
        }
      });
    }
  });
}

async function runCheck(factory: ConformanceFactory, check: ConformanceCheck): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-conformance-'));
  const opened: ConformanceHandle[] = [];
  const openHandle = async (): Promise<ConformanceHandle> => {
    const handle = await factory(dir);
    opened.push(handle);
    return handle;
  };
  try {
    await check.run({ dir, open: openHandle, handle: await openHandle() });
  } finally {
    for (const handle of opened.reverse()) {
      try {
        await handle.close();
      } catch {
        // A close failure must not hide the check's own result; the next check gets a fresh handle anyway.
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}
