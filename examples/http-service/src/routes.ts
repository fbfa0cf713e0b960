import type { SqlValue } from '@rapsqlite/engine';
import type { FastifyInstance } from 'fastify';
import { CUSTOMER_ORDERS, ORDER_BY_ID, REVENUE_REPORT } from './schema.ts';

/** What the read routes need from a database: promise-returning `get` and `all`, as rapsqlite has them. */
export interface Reader {
  get(sql: string, params?: readonly SqlValue[]): Promise<unknown>;
  all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]>;
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

/**
 * The read routes, shared by the rapsqlite service and its blocking better-sqlite3 twin: the fast endpoint (a
 * point lookup with two joins), a customer's latest orders, and the slow report (about a second).
 */
export function registerReadRoutes(app: FastifyInstance, reader: Reader): void {
  app.get<{ Params: { id: number } }>('/orders/:id', { schema: { params: idParams } }, async (request, reply) => {
    const order = await reader.get(ORDER_BY_ID, [request.params.id]);
    return order ?? reply.code(404).send({ error: 'no such order' });
  });

  app.get<{ Params: { id: number }; Querystring: { limit?: number } }>(
    '/customers/:id/orders',
    { schema: { params: idParams, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } } } } },
    async (request) => reader.all(CUSTOMER_ORDERS, [request.params.id, request.query.limit ?? 10]),
  );

  app.get('/reports/revenue', async () => {
    const started = performance.now();
    const rows = await reader.all(REVENUE_REPORT);
    return { ms: Math.round(performance.now() - started), rows };
  });
}
