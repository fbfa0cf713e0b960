import BetterSqlite3 from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerReadRoutes, type Reader } from './routes.ts';
import { FULL_SIZE, SCHEMA, seedSql, type SeedSize } from './schema.ts';

/** The part of better-sqlite3 this file uses (typed here: the package ships no types). */
interface BlockingStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface BlockingDatabase {
  readonly open: boolean;
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): BlockingStatement;
  close(): void;
}
const Database = BetterSqlite3 as unknown as new (path: string) => BlockingDatabase;

/** Options of {@link createBlockingService}. */
export interface BlockingServiceOptions {
  readonly path: string;
  readonly seed?: SeedSize;
  readonly logger?: boolean;
}

/**
 * The same read routes on blocking better-sqlite3, for the benchmark: same schema, same SQL, same Fastify, the same
 * pragmas as the pool's connections (WAL, synchronous NORMAL, foreign keys). Each query runs on the event loop, so
 * while the report runs nothing else is served.
 */
export async function createBlockingService(options: BlockingServiceOptions): Promise<FastifyInstance> {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  if ((db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n === 0) db.exec(seedSql(options.seed ?? FULL_SIZE));

  const statements = new Map<string, BlockingStatement>();
  const prepare = (sql: string): BlockingStatement => {
    let statement = statements.get(sql);
    if (statement === undefined) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const reader: Reader = {
    get: async (sql, params = []) => prepare(sql).get(...params),
    all: async (sql, params = []) => prepare(sql).all(...params),
  };

  const app = Fastify({ logger: options.logger ?? false });
  registerReadRoutes(app, reader);
  app.get('/health', async () => ({ status: db.open ? 'ok' : 'closed', kind: 'better-sqlite3' }));
  app.addHook('onClose', async () => db.close());
  return app;
}
