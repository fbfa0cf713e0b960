import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client, type Config } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, type ConnectionRole, type Middleware } from '@rapsqlite/engine';
import { LibsqlErrorCodes, openLibsql, type LibsqlDatabase } from '../src/index.ts';

const PRIMARY_URL = 'libsql://primary.example.turso.io';

/** A client standing in for one the test cannot have (a remote primary, an embedded replica), over a real local file. */
function standIn(real: Client, overrides: Partial<Record<keyof Client, unknown>>, log: string[], name: string): Client {
  return new Proxy(real, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key in overrides) return overrides[key as keyof Client];
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (key === 'execute' || key === 'batch' || key === 'transaction' || key === 'executeMultiple') log.push(`${name}.${key}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function roles(seen: Array<[string, ConnectionRole | undefined]>): Middleware {
  return {
    name: 'roles',
    wrap: (next) => async (op) => {
      try {
        return await next(op);
      } finally {
        if (op.kind !== 'begin' && op.kind !== 'commit') seen.push([op.kind, op.connection?.role]);
      }
    },
  };
}

// sqld cannot run here: the primary is a local file behind a stand-in for a remote client, the replica another local
// file whose sync() copies the primary's rows — so what is tested is the routing, the configuration handed to
// @libsql/client, and when the replica is synced; not libSQL's own replication.
describe('embedded replica routing', () => {
  let dir: string;
  let configs: Config[];
  let log: string[];
  let primaryFile: Client;
  let replicaFile: Client;
  let syncs: number;
  let failSync: boolean;
  const opened: LibsqlDatabase[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapsqlite-libsql-replica-'));
    configs = [];
    log = [];
    syncs = 0;
    failSync = false;
    primaryFile = createClient({ url: `file:${join(dir, 'primary.db')}`, intMode: 'bigint' });
    replicaFile = createClient({ url: `file:${join(dir, 'replica.db')}`, intMode: 'bigint' });
    for (const client of [primaryFile, replicaFile]) await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  });

  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    primaryFile.close();
    replicaFile.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = async (): Promise<void> => {
    if (failSync) throw Object.assign(new Error('sync failed'), { code: 'SYNC_FAILED' });
    syncs++;
    const rows = await primaryFile.execute('SELECT id, v FROM t');
    await replicaFile.batch(['DELETE FROM t', ...rows.rows.map((row) => ({ sql: 'INSERT INTO t VALUES (?, ?)', args: [row[0] as bigint, row[1] as string] }))], 'write');
  };

  async function open(extra: Parameters<typeof openLibsql>[1] = {}): Promise<LibsqlDatabase> {
    const db = await openLibsql(PRIMARY_URL, {
      authToken: 'token',
      replica: { path: join(dir, 'replica.db'), syncIntervalSeconds: 30 },
      createClient: (config) => {
        configs.push(config);
        return config.syncUrl === undefined ? standIn(primaryFile, { close: () => undefined }, log, 'primary') : standIn(replicaFile, { sync, close: () => undefined }, log, 'replica');
      },
      ...extra,
    });
    opened.push(db);
    return db;
  }

  it('hands @libsql/client the primary and an embedded replica syncing from it', async () => {
    await open();
    expect(configs).toEqual([
      { url: PRIMARY_URL, intMode: 'bigint', authToken: 'token' },
      { url: `file:${join(dir, 'replica.db')}`, syncUrl: PRIMARY_URL, intMode: 'bigint', authToken: 'token', syncInterval: 30 },
    ]);
    expect(syncs).toBe(1);
  });

  it('sends writes and transactions to the primary and reads to the replica, syncing it first after a write', async () => {
    const db = await open();
    const seen: Array<[string, ConnectionRole | undefined]> = [];
    const spied = db.with(roles(seen));
    log.length = 0;
    await spied.run("INSERT INTO t (v) VALUES ('a')");
    expect(await spied.all('SELECT v FROM t')).toEqual([{ v: 'a' }]);
    expect(syncs).toBe(2);
    expect(await spied.get('SELECT count(*) AS n FROM t')).toEqual({ n: 1 });
    expect(syncs).toBe(2);
    await spied.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES ('b')");
      expect(await tx.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
    });
    expect(await spied.transaction((tx) => tx.get('SELECT count(*) AS n FROM t'), { readonly: true })).toEqual({ n: 2 });
    expect(seen).toEqual([
      ['run', 'writer'],
      ['all', 'reader'],
      ['get', 'reader'],
      ['run', 'writer'],
      ['get', 'writer'],
      ['transaction', 'writer'],
      ['get', 'reader'],
      ['transaction', 'reader'],
    ]);
    expect(log).toEqual([
      'primary.execute',
      'replica.execute',
      'replica.execute',
      'primary.transaction',
      'replica.transaction',
    ]);
    expect(db.stats()).toMatchObject({ replica: true, syncs: 2 });
  });

  it('reads the replica as it is with readYourWrites: false, until sync()', async () => {
    const db = await open({ readYourWrites: false });
    await db.run("INSERT INTO t (v) VALUES ('a')");
    expect(await db.all('SELECT v FROM t')).toEqual([]);
    expect(await db.get('SELECT v FROM t', [], { readYourWrites: true })).toEqual({ v: 'a' });
    await db.run("INSERT INTO t (v) VALUES ('b')");
    expect(await db.sync()).toBe(true);
    expect(await db.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('fails a read with ERR_RAPSQLITE_LIBSQL_SYNC when the replica cannot sync, and reads again once it can', async () => {
    const db = await open();
    await db.run("INSERT INTO t (v) VALUES ('a')");
    failSync = true;
    const error = await db.get('SELECT v FROM t').catch((err: unknown) => err);
    expect((error as { code?: string }).code).toBe(LibsqlErrorCodes.SYNC);
    failSync = false;
    expect(await db.get('SELECT v FROM t')).toEqual({ v: 'a' });
  });

  it('reports a write that failed in transport as ERR_RAPSQLITE_OUTCOME_UNKNOWN and a failed read as ERR_RAPSQLITE_LIBSQL_CLIENT', async () => {
    let down = false;
    const transport = Object.assign(new Error('fetch failed'), { code: 'SERVER_ERROR' });
    const failing = async (...args: unknown[]): Promise<unknown> => {
      if (down) throw transport;
      return (primaryFile.execute as (...a: unknown[]) => Promise<unknown>)(...args);
    };
    const db = await openLibsql('https://sqld.internal:8080', {
      createClient: (config) => {
        configs.push(config);
        return standIn(primaryFile, { execute: failing, close: () => undefined }, log, 'primary');
      },
    });
    opened.push(db);
    expect(configs).toEqual([{ url: 'https://sqld.internal:8080', intMode: 'bigint' }]);
    down = true;
    const write = await db.run("INSERT INTO t (v) VALUES ('x')").catch((err: unknown) => err);
    expect((write as { code?: string }).code).toBe(ErrorCodes.OUTCOME_UNKNOWN);
    const read = await db.get('SELECT 1').catch((err: unknown) => err);
    expect((read as { code?: string; libsqlCode?: string }).code).toBe(LibsqlErrorCodes.CLIENT);
    expect((read as { libsqlCode?: string }).libsqlCode).toBe('SERVER_ERROR');
  });

  it('accepts libsql:, http(s): and ws(s): URLs and refuses others, in-memory ones and a replica of a local file', async () => {
    for (const url of ['libsql://a.turso.io', 'https://a:1', 'http://a:1', 'wss://a:1', 'ws://a:1']) {
      const db = await openLibsql(url, { createClient: () => standIn(primaryFile, { close: () => undefined }, log, 'primary'), tls: false });
      opened.push(db);
    }
    for (const [url, extra] of [
      ['postgres://a', {}],
      [':memory:', {}],
      ['file::memory:', {}],
      [`file:${join(dir, 'x.db')}`, { replica: { path: join(dir, 'r.db') } }],
      [PRIMARY_URL, { replica: {} }],
      [PRIMARY_URL, { integers: 'float' }],
      [PRIMARY_URL, { colour: 'blue' }],
    ] as const) {
      const error = await openLibsql(url, extra as never).catch((err: unknown) => err);
      expect((error as { code?: string }).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    }
  });
});
