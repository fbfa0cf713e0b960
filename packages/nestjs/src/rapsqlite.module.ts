import { open, RapsqliteError } from '@rapsqlite/engine';
import { createPool } from '@rapsqlite/pool';
import type { DynamicModule, FactoryProvider, ModuleMetadata, OnApplicationShutdown, Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { NestErrorCodes } from './errors.ts';
import {
  invalid,
  resolveConnectionOptions,
  resolveName,
  type RapsqliteConnectionOptions,
  type RapsqliteModuleOptions,
  type SqliteHandle,
} from './options.ts';
import { getCloserToken, getDatabaseToken, getOptionsToken, getTransactionHostToken } from './tokens.ts';
import { TransactionHost } from './transaction-host.ts';

/** Options of `RapsqliteModule.forRootAsync`: a factory for the connection options, with what it injects. */
export interface RapsqliteModuleAsyncOptions {
  /** The connection's name. Default `'default'`. */
  readonly name?: string;
  /** Registers the module globally. */
  readonly isGlobal?: boolean;
  /** Modules whose providers the factory injects (a `ConfigModule`…). */
  readonly imports?: ModuleMetadata['imports'];
  /** The tokens passed to `useFactory`, in order. */
  readonly inject?: FactoryProvider['inject'];
  /** Returns the connection options (or a promise of them). */
  readonly useFactory: (...args: never[]) => RapsqliteConnectionOptions | Promise<RapsqliteConnectionOptions>;
}

type ResolvedConnection = ReturnType<typeof resolveConnectionOptions>;

/** The connections of one application, to refuse a name used twice (Nest would silently let the last one win). */
const applications = new WeakMap<object, Map<string, () => Promise<void>>>();

function connectionsOf(container: object): Map<string, () => Promise<void>> {
  let connections = applications.get(container);
  if (connections === undefined) applications.set(container, (connections = new Map()));
  return connections;
}

async function openConnection(name: string, options: ResolvedConnection, container: object): Promise<SqliteHandle> {
  const connections = connectionsOf(container);
  if (connections.has(name)) {
    // The start-up fails here and Nest calls no shutdown hook: close what this application already opened.
    await Promise.allSettled([...connections.values()].map((close) => close()));
    connections.clear();
    throw new RapsqliteError(NestErrorCodes.DUPLICATE_NAME, `@rapsqlite/nestjs: a connection named "${name}" is already registered`);
  }
  connections.set(name, async () => undefined);
  const handle =
    options.database ??
    (options.pool !== undefined && options.pool !== false
      ? await createPool(options.path!, options.pool === true ? undefined : options.pool)
      : await open(options.path!, options.options));
  if (options.close) connections.set(name, () => handle.close());
  return handle;
}

/** Closes a connection on application shutdown, once, after Nest has stopped the HTTP server. */
class ConnectionCloser implements OnApplicationShutdown {
  readonly #close: () => Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(close: () => Promise<void>) {
    this.#close = close;
  }

  onApplicationShutdown(): Promise<void> {
    return (this.#closing ??= this.#close());
  }
}

function connectionProviders(name: string, optionsProvider: Provider): Provider[] {
  return [
    optionsProvider,
    {
      provide: getDatabaseToken(name),
      useFactory: (options: ResolvedConnection, container: object) => openConnection(name, options, container),
      inject: [getOptionsToken(name), ModulesContainer],
    },
    {
      provide: getTransactionHostToken(name),
      useFactory: (handle: SqliteHandle) => new TransactionHost(handle),
      inject: [getDatabaseToken(name)],
    },
    {
      provide: getCloserToken(name),
      useFactory: (handle: SqliteHandle, options: ResolvedConnection, container: object) =>
        new ConnectionCloser(async () => {
          connectionsOf(container).delete(name);
          if (options.close) await handle.close();
        }),
      inject: [getDatabaseToken(name), getOptionsToken(name), ModulesContainer],
    },
  ];
}

/**
 * The NestJS module that opens rapsqlite connections and provides, per connection name, its handle
 * (`@InjectDatabase(name?)`) and its {@link TransactionHost} (`@InjectTransactionHost(name?)`). Connections it opened
 * close on application shutdown (`app.close()`, or a signal with `app.enableShutdownHooks()`), after the HTTP server
 * stopped. Bad options fail the start-up with `ERR_RAPSQLITE_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     RapsqliteModule.forRoot({ path: 'shop.db', pool: { maxReaders: 2 }, isGlobal: true }),
 *     RapsqliteModule.forRootAsync({ name: 'audit', inject: [ConfigService], useFactory: (config: ConfigService) => ({ path: config.get('AUDIT_DB') }) }),
 *   ],
 * })
 * class AppModule {}
 * ```
 */
export class RapsqliteModule {
  /** Registers one connection from static options. */
  static forRoot(options: RapsqliteModuleOptions): DynamicModule {
    if (typeof options !== 'object' || options === null) throw invalid('forRoot() takes the connection options');
    const { name: rawName, isGlobal, ...connection } = options;
    const name = resolveName(rawName);
    const resolved = resolveConnectionOptions(connection);
    return RapsqliteModule.#module(name, isGlobal, [], { provide: getOptionsToken(name), useValue: resolved });
  }

  /** Registers one connection whose options come from a factory with injected dependencies. */
  static forRootAsync(options: RapsqliteModuleAsyncOptions): DynamicModule {
    if (typeof options !== 'object' || options === null || typeof options.useFactory !== 'function') throw invalid('forRootAsync() takes { useFactory, inject?, imports? }');
    if (options.inject !== undefined && !Array.isArray(options.inject)) throw invalid('`inject` must be an array of tokens');
    const name = resolveName(options.name);
    const factory = options.useFactory as (...args: unknown[]) => RapsqliteConnectionOptions | Promise<RapsqliteConnectionOptions>;
    return RapsqliteModule.#module(name, options.isGlobal, options.imports ?? [], {
      provide: getOptionsToken(name),
      useFactory: async (...args: unknown[]) => resolveConnectionOptions(await factory(...args)),
      inject: options.inject ?? [],
    });
  }

  static #module(name: string, isGlobal: boolean | undefined, imports: NonNullable<ModuleMetadata['imports']>, optionsProvider: Provider): DynamicModule {
    if (isGlobal !== undefined && typeof isGlobal !== 'boolean') throw invalid('`isGlobal` must be a boolean');
    return {
      module: RapsqliteModule,
      global: isGlobal === true,
      imports,
      providers: connectionProviders(name, optionsProvider),
      exports: [getDatabaseToken(name), getTransactionHostToken(name)],
    };
  }
}
