import { betterSqlite3Driver } from './better-sqlite3.ts';
import type { DriverEntry } from './driver.ts';
import { libsqlDriver } from './libsql.ts';
import { nodeSqliteDriver } from './node-sqlite.ts';
import { createRapsqliteDriver } from './rapsqlite.ts';
import { rapsqliteSqlite3Driver } from './rapsqlite-sqlite3.ts';
import { sqlite3Driver } from './sqlite3.ts';

/**
 * Every driver the benchmark knows, in display order. The first blocking entry, better-sqlite3, is the baseline.
 * A new rapsqlite connection type is one more `createRapsqliteDriver` entry.
 */
export const DRIVERS: readonly DriverEntry[] = [
  createRapsqliteDriver({
    id: 'rapsqlite',
    label: 'rapsqlite',
    kind: 'worker-thread',
    specifier: '@rapsqlite/engine',
    openExport: 'open',
  }),
  createRapsqliteDriver({
    id: 'rapsqlite-pool',
    label: 'rapsqlite pool',
    kind: 'worker-thread',
    specifier: '@rapsqlite/pool',
    openExport: 'createPool',
    // The pool always runs in WAL (it refuses a file that cannot), and its readers are read-only.
    pragmas: [],
    // The CPU-heavy target is stated for two readers.
    extraOptions: { minReaders: 2, maxReaders: 2 },
  }),
  createRapsqliteDriver({
    id: 'rapsqlite-pool-1',
    label: 'rapsqlite pool, 1 reader',
    kind: 'worker-thread',
    specifier: '@rapsqlite/pool',
    openExport: 'createPool',
    pragmas: [],
    // The pool's parallelism, read against the 2-reader entry above (`--only cpu-heavy`).
    extraOptions: { minReaders: 1, maxReaders: 1 },
    subject: false,
  }),
  createRapsqliteDriver({
    id: 'rapsqlite-observed',
    label: 'rapsqlite + otel + metrics',
    kind: 'worker-thread',
    specifier: '@rapsqlite/engine',
    openExport: 'open',
    subject: false,
    // The middleware-overhead target: OpenTelemetry (no SDK registered: the API's no-op tracer and meter, as in an app that
    // installs the plugin but samples nothing) plus a Prometheus registry that records every query.
    middleware: async () => {
      const [{ otel }, { prometheus }] = await Promise.all([import('@rapsqlite/otel'), import('@rapsqlite/metrics')]);
      return [otel(), prometheus()];
    },
  }),
  betterSqlite3Driver,
  sqlite3Driver,
  rapsqliteSqlite3Driver,
  libsqlDriver,
  nodeSqliteDriver,
];

/** The id of the driver every ratio is taken against. */
export const BASELINE_DRIVER = betterSqlite3Driver.id;
