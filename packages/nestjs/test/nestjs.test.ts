import { Body, Controller, Get, HttpException, Inject, Injectable, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ErrorCodes, open, type Database, type Transaction } from '@rapsqlite/engine';
import { createPool, Pool } from '@rapsqlite/pool';
import { describe, expect, it, vi } from 'vitest';
import {
  getDatabaseToken,
  InjectDatabase,
  InjectTransactionHost,
  NestErrorCodes,
  RapsqliteExceptionFilter,
  RapsqliteModule,
  Transactional,
  type TransactionHost,
  type SqliteHandle,
} from '../src/index.ts';
import { defer, SCHEMA, sleep, tempFile } from './helpers.ts';

@Injectable()
class Orders {
  readonly host: TransactionHost;
  constructor(@InjectTransactionHost() host: TransactionHost) {
    this.host = host;
  }
  add(total: number, customer = 1) {
    return this.host.db.run('INSERT INTO orders (customer_id, total) VALUES (?, ?)', [customer, total]);
  }
  count() {
    return this.host.database.get<{ n: number }>('SELECT count(*) AS n FROM orders').then((row) => row!.n);
  }
}

let gate: Promise<void> = Promise.resolve();
const seen: Array<Transaction | undefined> = [];

@Controller('orders')
class OrdersController {
  readonly orders: Orders;
  readonly db: SqliteHandle;
  constructor(@Inject(Orders) orders: Orders, @InjectDatabase() db: SqliteHandle) {
    this.orders = orders;
    this.db = db;
  }

  @Get('count')
  async count() {
    return { n: await this.orders.count() };
  }

  @Post()
  @Transactional()
  async create(@Body() body: { totals: number[]; fail?: string; customer?: number }) {
    for (const total of body.totals) await this.orders.add(total, body.customer);
    seen.push(this.orders.host.db as Transaction);
    await gate;
    if (body.fail === 'http') throw new HttpException('declined', 402);
    if (body.fail === 'nested') {
      await this.orders.host.run(async () => {
        await this.orders.add(1000);
        throw new Error('inner');
      }).catch(() => undefined);
    }
    if (body.fail === 'deadlock') return { code: await this.db.get('SELECT 1').then(() => 'none', (err: { code: string }) => err.code) };
    return { ok: true };
  }

  @Get(':id')
  async one(@Param('id') id: string) {
    return this.db.get('SELECT * FROM orders WHERE id = ?', [Number(id)]);
  }
}

async function start(connection: Record<string, unknown>, filter = false): Promise<{ app: INestApplication; url: string; db: SqliteHandle }> {
  @Module({ imports: [RapsqliteModule.forRoot(connection)], controllers: [OrdersController], providers: [Orders] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  if (filter) app.useGlobalFilters(new RapsqliteExceptionFilter(app.getHttpAdapter()));
  await app.listen(0, '127.0.0.1');
  defer(() => app.close());
  const db = app.get<SqliteHandle>(getDatabaseToken());
  await db.exec(SCHEMA);
  await db.run("INSERT INTO customers (id, email) VALUES (1, 'ada@example.com')");
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), db };
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const count = async (url: string): Promise<number> => ((await (await fetch(`${url}/orders/count`)).json()) as { n: number }).n;

describe('RapsqliteModule', () => {
  it('opens the connection and injects it with @InjectDatabase()', async () => {
    const { url, db } = await start({ path: tempFile(), pool: { maxReaders: 2 } });
    expect(db).toBeInstanceOf(Pool);
    await db.run('INSERT INTO orders (customer_id, total) VALUES (1, 42)');
    expect(await (await fetch(`${url}/orders/1`)).json()).toEqual({ id: 1, customer_id: 1, total: 42 });
  });

  it('builds a global connection from forRootAsync with injected configuration, beside a named one', async () => {
    const CONFIG = Symbol('config');
    @Module({ providers: [{ provide: CONFIG, useValue: { main: tempFile('main.db'), audit: tempFile('audit.db') } }], exports: [CONFIG] })
    class ConfigModule {}

    @Injectable()
    class Audit {
      readonly main: SqliteHandle;
      readonly audit: Database;
      constructor(@InjectDatabase() main: SqliteHandle, @InjectDatabase('audit') audit: Database) {
        this.main = main;
        this.audit = audit;
      }
    }
    @Module({ providers: [Audit] }) // imports nothing: the connections are global
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        RapsqliteModule.forRootAsync({ isGlobal: true, imports: [ConfigModule], inject: [CONFIG], useFactory: (config: { main: string }) => ({ path: config.main }) }),
        RapsqliteModule.forRootAsync({ name: 'audit', isGlobal: true, imports: [ConfigModule], inject: [CONFIG], useFactory: async (config: { audit: string }) => ({ path: config.audit }) }),
        FeatureModule,
      ],
    }).compile();
    defer(() => moduleRef.close());
    const audit = moduleRef.get(Audit);
    expect(audit.main.path).toMatch(/main\.db$/);
    expect(audit.audit.path).toMatch(/audit\.db$/);
    await audit.audit.exec('CREATE TABLE log (line TEXT)');
    await expect(audit.main.get('SELECT * FROM log')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('refuses bad options at start-up with ERR_RAPSQLITE_INVALID_ARGUMENT', async () => {
    const invalid = expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(() => RapsqliteModule.forRoot({})).toThrow(invalid);
    expect(() => RapsqliteModule.forRoot({ path: 'x.db', readOnly: true } as never)).toThrow(invalid);
    expect(() => RapsqliteModule.forRoot({ path: 'x.db', name: '' })).toThrow(invalid);
    expect(() => RapsqliteModule.forRootAsync({} as never)).toThrow(invalid);
    expect(() => Transactional({ mode: 'eager' as never })).toThrow(invalid);
    const compiling = Test.createTestingModule({ imports: [RapsqliteModule.forRootAsync({ useFactory: () => ({ path: 'x.db', pool: 7 as never }) })] }).compile();
    await expect(compiling).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });

  it('refuses a connection name used twice, closing what it had opened', async () => {
    const first = await open(tempFile('first.db'));
    defer(() => first.close());
    const close = vi.spyOn(first, 'close');
    const compiling = Test.createTestingModule({
      imports: [RapsqliteModule.forRoot({ database: first, close: true }), RapsqliteModule.forRoot({ path: tempFile('second.db') })],
    }).compile();
    await expect(compiling).rejects.toMatchObject({ code: NestErrorCodes.DUPLICATE_NAME });
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('closes a connection it opened exactly once on application shutdown, and leaves a given one open', async () => {
    const given = await createPool(tempFile('given.db'));
    defer(() => given.close());
    const closeGiven = vi.spyOn(given, 'close');
    const moduleRef = await Test.createTestingModule({
      imports: [RapsqliteModule.forRoot({ path: tempFile() }), RapsqliteModule.forRoot({ name: 'given', database: given })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const opened = app.get<Database>(getDatabaseToken());
    const closeOpened = vi.spyOn(opened, 'close');
    await app.close();
    expect(closeOpened).toHaveBeenCalledTimes(1);
    expect(opened.closed).toBe(true);
    expect(closeGiven).not.toHaveBeenCalled();
    expect(await given.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });
});

describe('@Transactional() and TransactionHost', () => {
  it('commits before the response is sent, the services reaching the transaction through host.db', async () => {
    seen.length = 0;
    const { url } = await start({ path: tempFile(), pool: true });
    const response = await post(url, { totals: [10, 20] });
    expect(response.status).toBe(201);
    expect(await count(url)).toBe(2);
    expect(seen[0]?.info).toBeDefined();
    expect(seen[0]?.active).toBe(false);
  });

  it('rolls back when the handler throws, and Nest answers with its exception', async () => {
    const { url } = await start({ path: tempFile(), pool: true });
    const response = await post(url, { totals: [10], fail: 'http' });
    expect(response.status).toBe(402);
    expect(await count(url)).toBe(0);
  });

  it('turns a failed COMMIT into an error instead of the 201, mapped to 409 by the filter', async () => {
    const plain = await start({ path: tempFile('a.db'), pool: true });
    expect((await post(plain.url, { totals: [10], customer: 99 })).status).toBe(500);
    expect(await count(plain.url)).toBe(0);
    const mapped = await start({ path: tempFile('b.db'), pool: true }, true);
    const response = await post(mapped.url, { totals: [10], customer: 99 });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ statusCode: 409, code: 'SQLITE_CONSTRAINT_FOREIGNKEY', error: 'Conflict' });
  });

  it('runs a nested host.run as a savepoint, and fails fast on a call to the database itself', async () => {
    const { url, db } = await start({ path: tempFile() }, true);
    await post(url, { totals: [10], fail: 'nested' });
    expect(await db.all('SELECT total FROM orders')).toEqual([{ total: 10 }]);
    const deadlock = await post(url, { totals: [5], fail: 'deadlock' });
    expect(await deadlock.json()).toEqual({ code: ErrorCodes.TRANSACTION_DEADLOCK });
    expect(await db.all('SELECT total FROM orders ORDER BY id')).toEqual([{ total: 10 }, { total: 5 }]);
  });

  it('keeps concurrent requests in their own transactions, one writer after the other', async () => {
    seen.length = 0;
    const { url } = await start({ path: tempFile(), pool: true });
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const first = post(url, { totals: [1] });
    while (seen.length < 1) await sleep(5);
    const second = post(url, { totals: [2] });
    await sleep(50);
    expect(seen).toHaveLength(1); // the second waits for the writer
    expect(await count(url)).toBe(0); // readers see nothing uncommitted
    release();
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    gate = Promise.resolve();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(await count(url)).toBe(2);
  });

  it('gives services the handle outside a transaction, and runs transactions from plain code', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [RapsqliteModule.forRoot({ path: tempFile() })], providers: [Orders] }).compile();
    defer(() => moduleRef.close());
    const orders = moduleRef.get(Orders);
    await orders.host.database.exec(SCHEMA);
    await orders.host.database.run("INSERT INTO customers (id, email) VALUES (1, 'a')");
    expect(orders.host.active).toBe(false);
    expect(orders.host.db).toBe(orders.host.database);
    await expect(
      orders.host.run(async () => {
        expect(orders.host.active).toBe(true);
        await orders.add(5);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await orders.host.run(() => orders.add(7));
    expect(await orders.host.database.all('SELECT total FROM orders')).toEqual([{ total: 7 }]);
  });
});

describe('RapsqliteExceptionFilter', () => {
  it('maps constraint → 409, busy → 503, timeout → 504 and leaves other errors to Nest', async () => {
    const path = tempFile();
    @Controller('users')
    class UsersController {
      readonly db: SqliteHandle;
      constructor(@InjectDatabase() db: SqliteHandle) {
        this.db = db;
      }
      @Post()
      @Transactional()
      create() {
        return { ok: true }; // never reached while another connection holds the lock: BEGIN IMMEDIATE fails first
      }
      @Post('plain')
      async plain() {
        return this.db.run("INSERT INTO users (email) VALUES ('ada@example.com')");
      }
      @Get('slow')
      slow() {
        return this.db.get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) AS n FROM c', [], { timeoutMs: 30 });
      }
      @Get('boom')
      boom() {
        throw new Error('not a database error');
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [RapsqliteModule.forRoot({ path, pool: { busyTimeoutMs: 0, maxReaders: 1 } })],
      controllers: [UsersController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new RapsqliteExceptionFilter(app.getHttpAdapter()));
    await app.listen(0, '127.0.0.1');
    defer(() => app.close());
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const db = app.get<SqliteHandle>(getDatabaseToken());
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');

    expect((await fetch(`${url}/users/plain`, { method: 'POST' })).status).toBe(201);
    const conflict = await fetch(`${url}/users/plain`, { method: 'POST' });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });

    const other = await open(path);
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = other.transaction(() => {
      locked();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    const busy = await fetch(`${url}/users`, { method: 'POST' }); // BEGIN IMMEDIATE fails: busy
    release();
    await holding;
    await other.close();
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ code: 'SQLITE_BUSY' });

    const timeout = await fetch(`${url}/users/slow`);
    expect(timeout.status).toBe(504);
    expect(await timeout.json()).toMatchObject({ code: ErrorCodes.TIMEOUT });
    expect((await fetch(`${url}/users/boom`)).status).toBe(500);
  });
});
