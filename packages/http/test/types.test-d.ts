// Type tests, checked by `tsc -p tsconfig.json` (the typecheck target): the servers and handles the kit takes.
import type { Database } from '@rapsqlite/engine';
import type { Pool } from '@rapsqlite/pool';
import { createServer } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import { createServer as createHttp2Server } from 'node:http2';
import { expectTypeOf } from 'vitest';
import { errorStatus, gracefulShutdown, isHandle, type GracefulShutdown } from '../src/index.ts';

declare const db: Database;
declare const pool: Pool;
expectTypeOf(gracefulShutdown(createServer(), db)).toEqualTypeOf<GracefulShutdown>();
gracefulShutdown(createSecureServer(), pool, { signals: ['SIGTERM'], timeoutMs: 5_000, exit: false });
gracefulShutdown(createHttp2Server(), pool);
// @ts-expect-error: a server needs close()
gracefulShutdown({}, db);
// @ts-expect-error: not a signal name
gracefulShutdown(createServer(), db, { signals: ['TERM'] });

const value: unknown = pool;
if (isHandle(value)) expectTypeOf(value).toEqualTypeOf<Database>();
expectTypeOf(errorStatus(new Error('x'))).toEqualTypeOf<number | undefined>();
