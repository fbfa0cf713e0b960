import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import { PrismaRapsqlite } from '../src/index.ts';

describe('PrismaRapsqlite options', () => {
  it('refuses bad sources and options with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    const bad = [
      () => new PrismaRapsqlite(undefined as never),
      () => new PrismaRapsqlite({ url: '' }),
      () => new PrismaRapsqlite({ url: 'file:x.db', filename: 'x' } as never),
      () => new PrismaRapsqlite({ url: 'file:x.db', pool: 'yes' } as never),
      () => new PrismaRapsqlite({ url: 'file:x.db', pool: true, database: {} }),
      () => new PrismaRapsqlite({ url: 'file:x.db' }, { timestampFormat: 'unix' as never }),
      () => new PrismaRapsqlite({ url: 'file:x.db' }, { transactionMode: 'later' as never }),
      () => new PrismaRapsqlite({ url: 'file:x.db' }, { isolation: 'x' } as never),
    ];
    for (const make of bad) expect(make).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('opens and closes its own database from a file: URL; leaves a given handle open', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-prisma-options-'));
    try {
      const factory = new PrismaRapsqlite({ url: `file:${join(dir, 'own.db')}` });
      expect([factory.provider, factory.adapterName]).toEqual(['sqlite', '@rapsqlite/prisma']);
      const adapter = await factory.connect();
      await adapter.executeScript('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      expect((await adapter.queryRaw({ sql: 'SELECT x FROM t', args: [], argTypes: [] })).rows).toEqual([[1]]);
      expect(adapter.getConnectionInfo?.()).toEqual({ maxBindValues: 32766, supportsRelationJoins: false });
      await adapter.dispose();
      await expect(adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] })).rejects.toMatchObject({ cause: { kind: 'ConnectionClosed' } });

      const db = await open(join(dir, 'own.db'));
      const given = await new PrismaRapsqlite(db).connect();
      await given.dispose();
      expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
      await db.close();

      const shadow = await factory.connectToShadowDb();
      await expect(shadow.queryRaw({ sql: 'SELECT * FROM t', args: [], argTypes: [] })).rejects.toMatchObject({ cause: { kind: 'TableDoesNotExist' } });
      await shadow.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens a pool when asked, and stores dates as epoch milliseconds with unixepoch-ms', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rapsqlite-prisma-options-'));
    try {
      const adapter = await new PrismaRapsqlite({ url: join(dir, 'pool.db'), pool: { maxReaders: 1 } }, { timestampFormat: 'unixepoch-ms' }).connect();
      await adapter.executeScript('CREATE TABLE t (at DATETIME)');
      const when = new Date('2025-06-07T08:09:10.011Z');
      await adapter.executeRaw({ sql: 'INSERT INTO t VALUES (?)', args: [when], argTypes: [{ scalarType: 'datetime', arity: 'scalar' }] });
      expect((await adapter.queryRaw({ sql: 'SELECT typeof(at) AS kind, at FROM t', args: [], argTypes: [] })).rows).toEqual([['integer', when.toISOString()]]);
      await adapter.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
