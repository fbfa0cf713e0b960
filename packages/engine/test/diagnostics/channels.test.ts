import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, publishPoolEvent, traceStep, type QueryMessage, type TransactionMessage } from '../../src/diagnostics/channels.ts';
import type { Operation } from '../../src/index.ts';
import { hasErrorCode } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';

type Event = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
interface Seen<M> {
  readonly event: Event;
  readonly message: M;
  /** A copy of the fields that change, as they were at the event. */
  readonly snapshot: { connection: unknown; rows: unknown; changes: unknown; error: unknown; transaction: unknown };
}

const unsubscribers: Array<() => void> = [];
afterEach(() => {
  for (const stop of unsubscribers.splice(0)) stop();
});

function record<M extends QueryMessage | TransactionMessage>(name: string): Seen<M>[] {
  const seen: Seen<M>[] = [];
  const on = (event: Event) => (message: unknown) => {
    const m = message as M & Partial<QueryMessage>;
    seen.push({ event, message: m, snapshot: { connection: m.connection, rows: m.rows, changes: m.changes, error: m.error, transaction: m.transaction } });
  };
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') };
  const channel = diagnostics.tracingChannel(name);
  channel.subscribe(handlers);
  unsubscribers.push(() => channel.unsubscribe(handlers));
  return seen;
}

function op(kind: 'get' | 'run', sql: string): Operation {
  return { kind, sql, params: undefined, options: {}, transaction: undefined, connection: undefined, attributes: {} } as Operation;
}

describe('diagnostics_channel publishing', () => {
  it('passes the step’s own promise through when nobody subscribes', () => {
    const inner = Promise.resolve({ id: 1 });
    const step = traceStep(() => inner);
    expect(diagnostics.tracingChannel(CHANNELS.query).hasSubscribers).toBe(false);
    expect(step(op('get', 'SELECT 1'))).toBe(inner);
  });

  it('publishes start, end, asyncStart and asyncEnd for a statement, with its summary, connection and rows', async () => {
    const seen = record<QueryMessage>(CHANNELS.query);
    const db = await openTemp();
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
    seen.length = 0;
    const row = await db.get<{ name: string }>('SELECT name FROM users WHERE id = ?', [1]);
    expect(row).toBeUndefined();
    expect(seen.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const message = seen[0]!.message;
    expect(seen.every((s) => s.message === message)).toBe(true);
    expect(message).toMatchObject({ kind: 'get', sql: 'SELECT name FROM users WHERE id = ?', summary: 'SELECT users', rows: 0, result: undefined });
    expect((message.operation as { params?: unknown }).params).toEqual([1]);
    expect(seen[3]!.snapshot.connection).toEqual(db.connection);

    seen.length = 0;
    await db.runMany('INSERT INTO users (name) VALUES (?)', [['a'], ['b'], ['c']]);
    expect(seen[3]!.message).toMatchObject({ kind: 'runMany', summary: 'BATCH INSERT users', batchSize: 3, changes: 3 });
  });

  it('publishes error before asyncStart with the SQLite code preserved', async () => {
    const seen = record<QueryMessage>(CHANNELS.query);
    const db = await openTemp();
    await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    await db.run('INSERT INTO t VALUES (?)', ['x']);
    seen.length = 0;
    const failure = await db.run('INSERT INTO t VALUES (?)', ['x']).catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'SQLITE_CONSTRAINT_PRIMARYKEY')).toBe(true);
    expect(seen.map((s) => s.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(seen[2]!.snapshot.error).toBe(failure);
  });

  it('frames a committed transaction: its BEGIN, statements and COMMIT carry the id the transaction message learns', async () => {
    const queries = record<QueryMessage>(CHANNELS.query);
    const transactions = record<TransactionMessage>(CHANNELS.transaction);
    const db = await openTemp();
    await db.exec('CREATE TABLE t (v)');
    queries.length = 0;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await tx.transaction(async (inner) => inner.run('INSERT INTO t VALUES (2)'));
    });
    expect(queries.filter((s) => s.event === 'asyncEnd').map((s) => s.message.kind)).toEqual(['begin', 'run', 'savepoint', 'run', 'release', 'commit']);
    const ended = transactions.filter((s) => s.event === 'asyncEnd').map((s) => s.message);
    // The savepoint ends first.
    expect(ended.map((m) => m.depth)).toEqual([1, 0]);
    const [inner, outer] = ended as [TransactionMessage, TransactionMessage];
    expect(outer.transaction?.id).toBeTypeOf('number');
    expect(inner.parent).toBe(outer.transaction);
    const ids = queries.filter((s) => s.event === 'start').map((s) => s.message.transaction?.id);
    expect(ids).toEqual([outer.transaction!.id, outer.transaction!.id, inner.transaction!.id, inner.transaction!.id, inner.transaction!.id, outer.transaction!.id]);
    expect(outer.connection).toEqual(db.connection);
    expect(transactions.map((s) => s.event)).toEqual(['start', 'end', 'start', 'end', 'asyncStart', 'asyncEnd', 'asyncStart', 'asyncEnd']);
  });

  it('publishes a rolled-back transaction with its error and the ROLLBACK', async () => {
    const queries = record<QueryMessage>(CHANNELS.query);
    const transactions = record<TransactionMessage>(CHANNELS.transaction);
    const db = await openTemp();
    await db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    const failure = await db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        await tx.run('INSERT INTO t VALUES (NULL)');
      })
      .catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'SQLITE_CONSTRAINT_NOTNULL')).toBe(true);
    expect(transactions.map((s) => s.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(transactions[2]!.snapshot.error).toBe(failure);
    expect(queries.filter((s) => s.event === 'start').map((s) => s.message.kind).slice(-2)).toEqual(['run', 'rollback']);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 });
  });

  it('ends an iterate when its iteration ends, with the rows delivered, also when the loop breaks early', async () => {
    const seen = record<QueryMessage>(CHANNELS.query);
    const db = await openTemp();
    await db.exec('CREATE TABLE n (v); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO n SELECT x FROM c');
    seen.length = 0;
    let count = 0;
    for await (const _row of db.iterate('SELECT v FROM n', [], { chunkSize: 64 })) {
      if (++count === 100) {
        // Nothing has ended yet while rows are still being read.
        expect(seen.map((s) => s.event)).toEqual(['start', 'end']);
        break;
      }
    }
    expect(seen.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(seen[3]!.snapshot.rows).toBe(100);

    seen.length = 0;
    let all = 0;
    for await (const _row of db.iterate('SELECT v FROM n')) all++;
    expect(all).toBe(1000);
    expect(seen[3]!.snapshot.rows).toBe(1000);
  });

  it('runs the operation in the stores bound to start, so an APM’s context reaches the transaction callback', async () => {
    const store = new AsyncLocalStorage<{ span: string }>();
    const channel = diagnostics.tracingChannel<unknown, TransactionMessage>(CHANNELS.transaction);
    const start = channel.start as unknown as diagnostics.Channel<{ span: string }, TransactionMessage>;
    start.bindStore(store, (message) => ({ span: `tx depth ${message.depth}` }));
    unsubscribers.push(() => start.unbindStore(store));
    const db = await openTemp();
    const seenInside = await db.transaction(async (tx) => {
      await tx.get('SELECT 1');
      return store.getStore()?.span;
    });
    expect(seenInside).toBe('tx depth 0');
    expect(store.getStore()).toBeUndefined();
  });

  it('does not publish what a middleware above it answered (a mock), only what reaches the database', async () => {
    const seen = record<QueryMessage>(CHANNELS.query);
    const mock = { name: 'mock', wrap: (next: (op: Operation) => Promise<unknown>) => (o: Operation) => (o.sql === 'SELECT 42' ? Promise.resolve({ v: 42 }) : next(o)) };
    const db = await openTemp({ middleware: [mock] });
    expect(await db.get('SELECT 42')).toEqual({ v: 42 });
    expect(seen).toHaveLength(0);
    await db.get('SELECT 41');
    expect(seen).toHaveLength(4);
  });

  it('publishes pool events on plain channels, building the message only for subscribers', () => {
    let built = 0;
    publishPoolEvent('acquire', () => ({ n: ++built }));
    expect(built).toBe(0);
    const received: unknown[] = [];
    const listener = (message: unknown) => received.push(message);
    diagnostics.subscribe(`${CHANNELS.pool}acquire`, listener);
    unsubscribers.push(() => diagnostics.unsubscribe(`${CHANNELS.pool}acquire`, listener));
    publishPoolEvent('acquire', () => ({ n: ++built }));
    expect(received).toEqual([{ n: 1 }]);
  });
});
