import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { RapsqliteError} from '@rapsqlite/engine';
import {open, TRANSACTION_MODES, type DatabaseOptions, type Queryable, type TransactionMode} from '@rapsqlite/engine';
import type { PoolOptions } from '@rapsqlite/pool';
import { RapsqliteAdapter, type AdapterHandle, type AdapterSettings } from './adapter.ts';
import { TIMESTAMP_FORMATS, type TimestampFormat } from './conversion.ts';
import { ADAPTER_NAME } from './queryable.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/** Where the adapter opens its own database: a Prisma-style URL, and whether to open a pool. */
export interface PrismaRapsqliteConfig {
  /** `file:./dev.db`, a plain path, or `':memory:'`. A relative path is relative to the working directory. */
  readonly url: string;
  /**
   * Opens a `@rapsqlite/pool` (one writer, parallel readers; needs the package installed) instead of one engine
   * database: `true`, or the pool's options.
   */
  readonly pool?: boolean | PoolOptions;
  /** Options of the engine's `open()`, when no pool is opened. */
  readonly database?: DatabaseOptions;
}

/** Options of {@link PrismaRapsqlite}. */
export interface PrismaRapsqliteOptions {
  /**
   * How DateTime arguments are stored: `'iso8601'` text (default, as Prisma's SQLite adapters store them) or
   * `'unixepoch-ms'` integers. Both are read back, whatever this says.
   */
  readonly timestampFormat?: TimestampFormat;
  /** How interactive transactions begin. Default `'immediate'`: a transaction that reads then writes never meets `SQLITE_BUSY_SNAPSHOT`. */
  readonly transactionMode?: TransactionMode;
  /** The database Prisma's migration engine uses as its shadow database. Default `':memory:'`. */
  readonly shadowDatabaseUrl?: string;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['timestampFormat', 'transactionMode', 'shadowDatabaseUrl']);
const CONFIG_KEYS: ReadonlySet<string> = new Set(['url', 'pool', 'database']);

function invalid(message: string): RapsqliteError {
  return invalidArgument(message);
}

function isHandle(value: unknown): value is AdapterHandle {
  const h = value as Partial<Queryable> | null;
  return typeof h === 'object' && h !== null && typeof h.values === 'function' && typeof h.run === 'function' && typeof h.transaction === 'function' && typeof h.exec === 'function';
}

function checkOptions(options: PrismaRapsqliteOptions | undefined): Readonly<PrismaRapsqliteOptions> {
  if (options === undefined) return Object.freeze({});
  if (typeof options !== 'object' || options === null) throw invalid('PrismaRapsqlite options must be an object');
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw invalid(`Unknown PrismaRapsqlite option "${key}"`);
  if (options.timestampFormat !== undefined && !TIMESTAMP_FORMATS.includes(options.timestampFormat)) {
    throw invalid(`timestampFormat must be one of ${TIMESTAMP_FORMATS.join(', ')}`);
  }
  if (options.transactionMode !== undefined && !TRANSACTION_MODES.includes(options.transactionMode)) {
    throw invalid(`transactionMode must be one of ${TRANSACTION_MODES.join(', ')}`);
  }
  if (options.shadowDatabaseUrl !== undefined && typeof options.shadowDatabaseUrl !== 'string') throw invalid('shadowDatabaseUrl must be a string');
  return Object.freeze({ ...options });
}

function checkConfig(config: PrismaRapsqliteConfig): Readonly<PrismaRapsqliteConfig> {
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) throw invalid(`Unknown PrismaRapsqlite config key "${key}"`);
  if (typeof config.url !== 'string' || config.url === '') throw invalid('PrismaRapsqlite needs a url (file:./dev.db) or a rapsqlite handle');
  if (config.pool !== undefined && typeof config.pool !== 'boolean' && (typeof config.pool !== 'object' || config.pool === null)) {
    throw invalid('pool must be a boolean or the pool options');
  }
  if (config.pool !== undefined && config.pool !== false && config.database !== undefined) throw invalid('Give either pool options or database options, not both');
  return Object.freeze({ ...config });
}

/** `file:./dev.db` → `./dev.db`; a plain path stays as it is. Query parameters (`?connection_limit=…`) are ignored. */
function pathOf(url: string): string {
  const path = url.replace(/^file:(\/\/(?=\/))?/, '').replace(/\?.*$/, '');
  if (path === '') throw invalid(`The url "${url}" names no file`);
  return path;
}

async function openHandle(config: Readonly<PrismaRapsqliteConfig>): Promise<AdapterHandle> {
  const path = pathOf(config.url);
  if (config.pool === undefined || config.pool === false) return open(path, config.database);
  const { createPool } = await import('@rapsqlite/pool');
  return createPool(path, config.pool === true ? undefined : config.pool);
}

/**
 * A Prisma 7 driver adapter factory for rapsqlite: Prisma Client's SQL runs in rapsqlite's worker threads, so the
 * event loop never blocks on SQLite. Give it a URL (the adapter opens, and on `$disconnect()` closes, its own
 * database or pool) or a rapsqlite `Database` or `Pool` you opened (it stays open).
 *
 * @example
 * ```ts
 * import { PrismaClient } from './generated/prisma/client.ts';
 * import { PrismaRapsqlite } from '@rapsqlite/prisma';
 *
 * const prisma = new PrismaClient({ adapter: new PrismaRapsqlite({ url: 'file:./dev.db', pool: true }) });
 * const user = await prisma.user.findUnique({ where: { email: 'ada@example.com' } });
 * ```
 */
export class PrismaRapsqlite implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'sqlite' as const;
  readonly adapterName = ADAPTER_NAME;
  readonly #config: Readonly<PrismaRapsqliteConfig> | undefined;
  readonly #handle: AdapterHandle | undefined;
  readonly #options: Readonly<PrismaRapsqliteOptions>;
  readonly #settings: AdapterSettings;

  constructor(source: PrismaRapsqliteConfig | Queryable, options?: PrismaRapsqliteOptions) {
    if (isHandle(source)) {
      this.#handle = source;
    } else if (typeof source === 'object' && source !== null) {
      this.#config = checkConfig(source as PrismaRapsqliteConfig);
    } else {
      throw invalid('PrismaRapsqlite takes { url } or a rapsqlite Database or Pool');
    }
    this.#options = checkOptions(options);
    this.#settings = Object.freeze({
      timestampFormat: this.#options.timestampFormat ?? 'iso8601',
      transactionMode: this.#options.transactionMode ?? 'immediate',
    });
  }

  /** Returns an adapter: on the handle given to the constructor, or on a database or pool opened now. */
  async connect(): Promise<SqlDriverAdapter> {
    if (this.#handle !== undefined) return new RapsqliteAdapter(this.#handle, false, this.#settings);
    return new RapsqliteAdapter(await openHandle(this.#config as PrismaRapsqliteConfig), true, this.#settings);
  }

  /** Returns an adapter on a fresh shadow database (`shadowDatabaseUrl`, in memory by default) for Prisma's migration engine. */
  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const path = pathOf(this.#options.shadowDatabaseUrl ?? ':memory:');
    return new RapsqliteAdapter(await open(path), true, this.#settings);
  }
}
