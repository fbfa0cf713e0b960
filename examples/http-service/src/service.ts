import { prometheus } from '@rapsqlite/metrics';
import { otel } from '@rapsqlite/otel';
import { createPool, type PoolOptions } from '@rapsqlite/pool';
import { rapsqlite } from '@rapsqlite/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerReadRoutes } from './routes.ts';
import { FULL_SIZE, INSERT_ORDER, PRODUCT_FOR_ORDER, SCHEMA, seedSql, TAKE_STOCK, type SeedSize } from './schema.ts';

/** Options of {@link createService}. */
export interface ServiceOptions {
  /** The SQLite file; created and seeded when it has no orders yet. */
  readonly path: string;
  /** Rows seeded into a new database. Default {@link FULL_SIZE}. */
  readonly seed?: SeedSize;
  /** Pool options (readers, pipelining…). Default: two readers. */
  readonly pool?: PoolOptions;
  /** Wires `@rapsqlite/otel` and `@rapsqlite/metrics` (Prometheus at `/metrics`). Default true. */
  readonly observability?: boolean;
  /** Fastify's logger. Default false. */
  readonly logger?: boolean;
}

interface NewOrder {
  readonly customerId: number;
  readonly sku: string;
  readonly quantity: number;
}

/**
 * The orders service on Fastify and a rapsqlite pool: point lookups and the slow report on the readers, order
 * placement in a per-route write transaction, Prometheus metrics and OpenTelemetry spans through the plugins, and a
 * health route with `pool.stats()` data. Fastify closes the pool when it closes.
 */
export async function createService(options: ServiceOptions): Promise<FastifyInstance> {
  const observability = options.observability ?? true;
  const metrics = observability ? prometheus() : undefined;
  // otel first, so its spans include the metrics middleware; with no OpenTelemetry SDK registered it is a no-op.
  const pool = await createPool(options.path, {
    maxReaders: 2,
    synchronous: 'normal',
    ...options.pool,
    middleware: [...(observability ? [otel(), metrics!] : []), ...(options.pool?.middleware ?? [])],
  });
  metrics?.observePool(pool, { name: 'orders' });
  try {
    await pool.exec(SCHEMA);
    const seeded = await pool.get<{ n: number }>('SELECT count(*) AS n FROM orders');
    if (seeded?.n === 0) await pool.exec(seedSql(options.seed ?? FULL_SIZE));
  } catch (err) {
    await pool.close();
    throw err;
  }

  const app = Fastify({ logger: options.logger ?? false });
  await app.register(rapsqlite, { database: pool, close: true, errorStatus: true, health: '/health' });
  registerReadRoutes(app, pool);

  // The write: check and take the stock, insert the order, all or nothing. An unknown customer fails the foreign
  // key (409 through errorStatus), an unknown SKU is a 404, too little stock a 409.
  app.post<{ Body: NewOrder }>(
    '/orders',
    {
      config: { sqlite: { transaction: true } },
      schema: {
        body: {
          type: 'object',
          required: ['customerId', 'sku', 'quantity'],
          properties: { customerId: { type: 'integer', minimum: 1 }, sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 100 } },
        },
      },
    },
    async (request, reply) => {
      const { customerId, sku, quantity } = request.body;
      const product = await request.sqlite.get<{ id: number; price_cents: number; stock: number }>(PRODUCT_FOR_ORDER, [sku]);
      if (product === undefined) throw Object.assign(new Error(`no product ${sku}`), { statusCode: 404 });
      if (product.stock < quantity) throw Object.assign(new Error('not enough stock'), { statusCode: 409 });
      await request.sqlite.run(TAKE_STOCK, [quantity, product.id]);
      const order = await request.sqlite.get(INSERT_ORDER, [customerId, product.id, quantity, quantity * product.price_cents]);
      return reply.code(201).send(order);
    },
  );

  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  }
  return app;
}
