/**
 * The orders service: an HTTP API over a few hundred thousand orders on Fastify and a rapsqlite pool.
 *
 *   npm run build                         # the example imports the built packages
 *   node examples/http-service/src/main.ts [--port 3000] [--db orders.db] [--driver rapsqlite|better-sqlite3]
 *                                          [--orders 300000] [--readers 2] [--pipelining 16] [--no-observability]
 *
 * A new database file is seeded first (about a second). Prints one JSON line `{ "listening": url, ... }` once it
 * serves; SIGTERM or SIGINT closes the server (in-flight requests finish), then the database.
 *
 * Routes: GET /orders/:id (fast) · GET /customers/:id/orders · GET /reports/revenue (about a second) ·
 * POST /orders { customerId, sku, quantity } · GET /health · GET /metrics
 */
import { parseArgs } from 'node:util';
import { createBlockingService } from './blocking.ts';
import { FULL_SIZE } from './schema.ts';
import { createService } from './service.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env['PORT'] ?? '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string', default: 'orders.db' },
    driver: { type: 'string', default: 'rapsqlite' },
    orders: { type: 'string' },
    readers: { type: 'string' },
    pipelining: { type: 'string' },
    'no-observability': { type: 'boolean', default: false },
    logger: { type: 'boolean', default: false },
  },
});

const orders = values.orders === undefined ? FULL_SIZE.orders : Number(values.orders);
const seed = { customers: Math.max(10, Math.round(orders / 15)), products: Math.max(10, Math.round(orders / 150)), orders };
const started = performance.now();
const app =
  values.driver === 'better-sqlite3'
    ? await createBlockingService({ path: values.db, seed, logger: values.logger })
    : values.driver === 'rapsqlite'
      ? await createService({
          path: values.db,
          seed,
          logger: values.logger,
          observability: !values['no-observability'],
          pool: {
            ...(values.readers === undefined ? {} : { minReaders: Number(values.readers), maxReaders: Number(values.readers) }),
            ...(values.pipelining === undefined ? {} : { pipelining: Number(values.pipelining) }),
          },
        })
      : (() => {
          throw new Error(`--driver must be rapsqlite or better-sqlite3, not ${values.driver}`);
        })();

const url = await app.listen({ port: Number(values.port), host: values.host });
console.log(JSON.stringify({ listening: url, driver: values.driver, orders, readyMs: Math.round(performance.now() - started) }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
