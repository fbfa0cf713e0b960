import {open, RapsqliteError, type Queryable} from '@rapsqlite/engine';
import { createPool, type Pool } from '@rapsqlite/pool';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { errorStatus, type ErrorStatusMap } from '@rapsqlite/http';
import { FastifyErrorCodes } from './errors.ts';
import { sqliteHealth } from './health.ts';
import {
  resolvePluginOptions,
  resolveRouteTransaction,
  type RapsqlitePluginOptions,
  type ResolvedPluginOptions,
  type SqliteHandle,
  type SqliteRouteConfig,
} from './options.ts';
import { RouteTransaction } from './route-transaction.ts';
import { invalidArgument } from '@rapsqlite/engine/plugin';

/**
 * `fastify.sqlite`: the unnamed database's handle, with each named database as a property of it
 * (`fastify.sqlite.analytics`, or `fastify.sqlite['analytics']`). With named databases only, an object holding them.
 */
export type FastifySqlite = SqliteHandle & { readonly [name: string]: SqliteHandle };

declare module 'fastify' {
  interface FastifyInstance {
    /** The databases registered with `@rapsqlite/fastify`. */
    readonly sqlite: FastifySqlite;
  }
  interface FastifyRequest {
    /**
     * The handle this request should use: the route's transaction when its config asks for one
     * (`config: { sqlite: { transaction: true } }`), otherwise the unnamed database.
     */
    readonly sqlite: Queryable;
  }
  interface FastifyContextConfig {
    /** `@rapsqlite/fastify`'s per-route settings. */
    sqlite?: SqliteRouteConfig;
  }
}

const kRegistry = Symbol('rapsqlite.fastify.registry');
const kTransaction = Symbol('rapsqlite.fastify.transaction');

interface RouteNeed {
  readonly route: string;
  readonly name: string | undefined;
  readonly readonly: boolean;
}

/** The databases of one Fastify context, shared by every registration in it. */
interface Registry {
  unnamed: SqliteHandle | undefined;
  readonly named: Map<string, SqliteHandle>;
  /** `fastify.sqlite` while only named databases exist. */
  readonly namespace: Record<string, SqliteHandle>;
  readonly reserved: Set<string>;
  readonly routes: RouteNeed[];
}

type TransactionCarrier = { [kTransaction]: RouteTransaction | null };

function invalid(message: string): RapsqliteError {
  return invalidArgument(`@rapsqlite/fastify: ${message}`);
}

function describe(name: string | undefined): string {
  return name === undefined ? 'the unnamed database' : `the database named "${name}"`;
}

function lookup(registry: Registry, name: string | undefined): SqliteHandle | undefined {
  return name === undefined ? registry.unnamed : registry.named.get(name);
}

function isPool(handle: SqliteHandle): handle is Pool {
  return typeof (handle as Partial<Pool>).stats === 'function';
}

function hooks<T>(existing: T | T[] | undefined, added: T): T[] {
  return existing === undefined ? [added] : [...(Array.isArray(existing) ? existing : [existing]), added];
}

function transactionOf(request: FastifyRequest): RouteTransaction | null {
  return (request as unknown as TransactionCarrier)[kTransaction];
}

async function commitOnSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const state = transactionOf(request);
  if (state?.open === true) {
    try {
      await state.commit();
    } catch (err) {
      // The handler may have set 201: Fastify's error handler keeps a status already set, so reset it.
      void reply.code(500);
      throw err;
    }
  }
  return payload;
}

async function rollbackLeftover(request: FastifyRequest): Promise<void> {
  await transactionOf(request)?.rollback();
}

function installRegistry(fastify: FastifyInstance): Registry {
  const existing = (fastify as unknown as { [kRegistry]?: Registry })[kRegistry];
  if (existing !== undefined) return existing;
  const registry: Registry = { unnamed: undefined, named: new Map(), namespace: Object.create(null) as Record<string, SqliteHandle>, reserved: new Set(), routes: [] };
  fastify.decorate(kRegistry, registry);
  fastify.decorate('sqlite', { getter: () => (registry.unnamed ?? registry.namespace) as FastifySqlite });
  fastify.decorateRequest(kTransaction, null);
  fastify.decorateRequest('sqlite', {
    getter(this: FastifyRequest): Queryable {
      const state = transactionOf(this);
      if (state?.tx !== undefined) return state.tx;
      if (registry.unnamed !== undefined) return registry.unnamed;
      throw new RapsqliteError(
        FastifyErrorCodes.NO_DEFAULT_DATABASE,
        '@rapsqlite/fastify: request.sqlite outside a route transaction needs an unnamed database; use fastify.sqlite[name]',
      );
    },
  });

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const label = `${String(route.method)} ${route.url}`;
    const need = resolveRouteTransaction(route.config?.sqlite, label);
    if (need === undefined) return;
    registry.routes.push({ route: label, name: need.name, readonly: need.options.readonly === true });
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const handle = lookup(registry, need.name)!;
      const state = new RouteTransaction();
      (request as unknown as TransactionCarrier)[kTransaction] = state;
      return state.start(
        handle,
        need.options,
        // A handler that returns nothing replies later: hand Fastify the reply itself (a thenable that settles
        // once the response is sent), as `return reply` would, or it would send an empty response at once.
        () => handler.call(this, request, reply) ?? reply,
        (err) => request.log.error({ err }, '@rapsqlite/fastify: the route transaction failed to roll back'),
      );
    };
    route.onSend = hooks(route.onSend, commitOnSend as never);
    route.onError = hooks(route.onError, rollbackLeftover as never);
    route.onResponse = hooks(route.onResponse, rollbackLeftover as never);
    route.onRequestAbort = hooks(route.onRequestAbort, rollbackLeftover as never);
    route.onTimeout = hooks(route.onTimeout, rollbackLeftover as never);
  });

  // Every registration is loaded by now: a route asking for a database nobody registered fails the start-up.
  fastify.addHook('onReady', async () => {
    for (const need of registry.routes) {
      const handle = lookup(registry, need.name);
      if (handle === undefined) throw invalid(`route ${need.route} asks for a transaction on ${describe(need.name)}, which is not registered`);
      if (need.readonly && !isPool(handle)) throw invalid(`route ${need.route}: a readonly transaction needs a Pool (${describe(need.name)} is a Database)`);
    }
  });
  return registry;
}

function reserve(registry: Registry, name: string | undefined): void {
  const key = name ?? '';
  if (registry.reserved.has(key)) {
    throw new RapsqliteError(FastifyErrorCodes.DUPLICATE_NAME, `@rapsqlite/fastify: ${describe(name)} is already registered in this context`);
  }
  // Named databases become properties of the unnamed handle: a name must not hide one of its members.
  const clash = (handle: SqliteHandle, member: string) => member in handle;
  if (name !== undefined && registry.unnamed !== undefined && clash(registry.unnamed, name)) {
    throw new RapsqliteError(FastifyErrorCodes.DUPLICATE_NAME, `@rapsqlite/fastify: the name "${name}" clashes with a member of the database handle`);
  }
  registry.reserved.add(key);
}

function attach(registry: Registry, name: string | undefined, handle: SqliteHandle): void {
  if (name === undefined) {
    for (const member of registry.named.keys()) {
      if (member in handle) throw new RapsqliteError(FastifyErrorCodes.DUPLICATE_NAME, `@rapsqlite/fastify: the name "${member}" clashes with a member of the database handle`);
    }
    registry.unnamed = handle;
    for (const [member, named] of registry.named) Object.defineProperty(handle, member, { value: named, configurable: true });
    return;
  }
  registry.named.set(name, handle);
  registry.namespace[name] = handle;
  if (registry.unnamed !== undefined) Object.defineProperty(registry.unnamed, name, { value: handle, configurable: true });
}

function openSource(source: ResolvedPluginOptions['source']): Promise<SqliteHandle> {
  switch (source.kind) {
    case 'database':
      return open(source.path, source.options);
    case 'pool':
      return createPool(source.path, source.options);
    case 'handle':
      return Promise.resolve(source.handle);
  }
}

function mapErrorStatus(statuses: ErrorStatusMap) {
  return async (_request: FastifyRequest, reply: FastifyReply, error: Error): Promise<void> => {
    const status = errorStatus(error, statuses);
    if (status === undefined) return;
    const target = error as Error & { statusCode?: number };
    if (target.statusCode === undefined) target.statusCode = status;
    void reply.code(status);
  };
}

const plugin: FastifyPluginAsync<RapsqlitePluginOptions> = async (fastify, raw) => {
  const options = resolvePluginOptions(raw);
  const registry = installRegistry(fastify);
  reserve(registry, options.name);
  let handle: SqliteHandle;
  try {
    handle = await openSource(options.source);
  } catch (err) {
    registry.reserved.delete(options.name ?? '');
    throw err;
  }
  try {
    attach(registry, options.name, handle);
  } catch (err) {
    if (options.close) await handle.close();
    throw err;
  }
  if (options.close) {
    let closing: Promise<void> | undefined;
    fastify.addHook('onClose', () => (closing ??= handle.close()));
  }
  if (options.errorStatuses !== undefined) fastify.addHook('onError', mapErrorStatus(options.errorStatuses));
  if (options.healthPath !== undefined) {
    fastify.get(options.healthPath, async (_request, reply) => {
      const health = sqliteHealth(handle);
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    });
  }
};

/**
 * The Fastify 5 plugin: opens (or takes) a rapsqlite `Database` or `Pool`, decorates `fastify.sqlite` and
 * `request.sqlite`, runs the handlers of routes whose config asks for it in a transaction (committed before the
 * reply is sent, rolled back when the handler throws), optionally maps coded errors to HTTP statuses, and closes
 * the database when Fastify closes. Register it before the routes that use it.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { rapsqlite } from '@rapsqlite/fastify';
 *
 * const app = Fastify();
 * await app.register(rapsqlite, { path: 'app.db', pool: { maxReaders: 2 }, errorStatus: true });
 * app.get('/notes/:id', (req) => app.sqlite.get('SELECT * FROM notes WHERE id = ?', [Number((req.params as { id: string }).id)]));
 * app.post('/notes', { config: { sqlite: { transaction: true } } }, async (req, reply) => {
 *   const { lastInsertRowid } = await req.sqlite.run('INSERT INTO notes (body) VALUES (?)', [String(req.body)]);
 *   return reply.code(201).send({ id: lastInsertRowid });
 * });
 * ```
 */
export const rapsqlite = fp(plugin, { fastify: '5.x', name: '@rapsqlite/fastify' });
