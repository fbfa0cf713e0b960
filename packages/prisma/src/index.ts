/**
 * @rapsqlite/prisma: a Prisma 7 driver adapter for rapsqlite. Prisma Client's SQL runs in worker threads (on a pool,
 * reads in parallel on readers), interactive transactions hold the writer, and SQLite errors keep their Prisma codes.
 */
export { PrismaRapsqlite } from './prisma-rapsqlite.ts';
export type { PrismaRapsqliteConfig, PrismaRapsqliteOptions } from './prisma-rapsqlite.ts';
export { TIMESTAMP_FORMATS } from './conversion.ts';
export type { TimestampFormat } from './conversion.ts';
