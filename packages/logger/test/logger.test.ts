import { join } from 'node:path';
import { hasErrorCode, type Operation } from '@rapsqlite/engine';
import { compose } from '@rapsqlite/engine/plugin';
import { retry } from '@rapsqlite/retry';
import { describe, expect, it } from 'vitest';
import { logger } from '../src/index.ts';
import { memoryPino, openTemp, tempDir, type Line } from './helpers.ts';

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, born TEXT, avatar BLOB);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), total INTEGER NOT NULL);
`;

const events = (lines: Line[]) => lines.map((l) => l['event']);

describe('logger() with pino', () => {
  it('logs each statement at debug with its summary, sanitized text, duration, rows and no parameter values', async () => {
    const { log, lines, raw } = memoryPino('debug');
    const db = await openTemp({ middleware: [logger({ logger: log })] });
    await db.exec(SCHEMA);
    await db.run('INSERT INTO users (email, born, avatar) VALUES (?, ?, ?)', ['alice@example.com', '1990-04-01', Buffer.from([1, 2, 3])]);
    const rows = await db.all("SELECT u.email FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email <> 'bob@example.com'");
    expect(rows).toEqual([]);
    const [exec, insert, select] = lines as [Line, Line, Line];
    expect(exec).toMatchObject({ level: 20, event: 'statement', kind: 'exec', summary: 'CREATE TABLE users CREATE TABLE orders' });
    expect(insert).toMatchObject({ level: 20, event: 'statement', kind: 'run', summary: 'INSERT users', changes: 1, paramCount: 3, role: 'writer' });
    expect(insert).not.toHaveProperty('params');
    expect(select).toMatchObject({
      event: 'statement',
      kind: 'all',
      summary: 'SELECT users orders',
      sql: 'SELECT u.email FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email <> ?',
      rows: 0,
      msg: 'sqlite statement: SELECT users orders',
    });
    expect(typeof select['durationMs']).toBe('number');
    // Neither bound values nor inline literals reach the log.
    expect(raw.join('')).not.toMatch(/alice|bob@|1990/);
  });

  it('at info logs only slow statements (warn) and failures (error, with the SQLite code)', async () => {
    const { log, lines } = memoryPino('info');
    const db = await openTemp({ middleware: [logger({ logger: log, slowMs: 200 })] });
    await db.exec(SCHEMA);
    await db.run('INSERT INTO users (email) VALUES (?)', ['a@example.com']);
    expect(lines).toHaveLength(0);
    const failure = await db.run('INSERT INTO users (email) VALUES (?)', ['a@example.com']).catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'SQLITE_CONSTRAINT_UNIQUE')).toBe(true);
    await db.get('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT count(*) AS n FROM c');
    expect(lines.map((l) => [l.level, l['event']])).toEqual([
      [50, 'error'],
      [40, 'slow'],
    ]);
    expect(lines[0]).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', summary: 'INSERT users', err: { code: 'SQLITE_CONSTRAINT_UNIQUE' } });
    expect(JSON.stringify(lines[0])).not.toContain('a@example.com');
    expect(lines[1]).toMatchObject({ slowMs: 200, rows: 1 });
    expect(lines[1]!['durationMs'] as number).toBeGreaterThanOrEqual(200);
  });

  it('groups a transaction’s statements by id between its begin and commit, and logs a rollback with its failing statement', async () => {
    const { log, lines } = memoryPino('debug');
    const db = await openTemp({ middleware: [logger({ logger: log })], foreignKeys: true });
    await db.exec(SCHEMA);
    lines.length = 0;
    await db.transaction(async (tx) => {
      const { lastInsertRowid } = await tx.run('INSERT INTO users (email) VALUES (?)', ['c@example.com']);
      await tx.run('INSERT INTO orders (user_id, total) VALUES (?, ?)', [lastInsertRowid, 10]);
    });
    expect(events(lines)).toEqual(['begin', 'statement', 'statement', 'commit']);
    const id = lines[0]!['transactionId'];
    expect(typeof id).toBe('number');
    expect(lines.every((l) => l['transactionId'] === id && l['transactionDepth'] === 0)).toBe(true);
    expect(lines[0]!['summary']).toBe('BEGIN IMMEDIATE');
    expect(typeof lines[3]!['transactionMs']).toBe('number');

    lines.length = 0;
    const failure = await db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO orders (user_id, total) VALUES (?, ?)', [999, 1]);
      })
      .catch((err: unknown) => err);
    expect(hasErrorCode(failure, 'SQLITE_CONSTRAINT_FOREIGNKEY')).toBe(true);
    expect(lines.map((l) => [l['event'], l.level])).toEqual([
      ['begin', 20],
      ['error', 50],
      ['rollback', 30],
    ]);
    expect(lines[2]!['transactionId']).toBe(lines[0]!['transactionId']);
    expect(await db.get('SELECT count(*) AS n FROM orders')).toEqual({ n: 1 });
  });

  it('logs a savepoint that rolls back as a rollback at depth 1 (not its RELEASE as a commit), and the outer commit', async () => {
    const { log, lines } = memoryPino('debug');
    const db = await openTemp({ middleware: [logger({ logger: log })] });
    await db.exec(SCHEMA);
    lines.length = 0;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (email) VALUES (?)', ['outer@example.com']);
      await tx
        .transaction(async (inner) => {
          await inner.run('INSERT INTO users (email) VALUES (?)', ['inner@example.com']);
          throw new Error('undo the inner part');
        })
        .catch(() => undefined);
    });
    expect(lines.map((l) => `${String(l['event'])}@${String(l['transactionDepth'])}`)).toEqual([
      'begin@0',
      'statement@0',
      'begin@1',
      'statement@1',
      'rollback@1',
      'commit@0',
    ]);
    expect(await db.all('SELECT email FROM users')).toEqual([{ email: 'outer@example.com' }]);
  });

  it('logs parameters only through the redactor given, big integers and blobs included', async () => {
    const { log, lines } = memoryPino('debug');
    const redact = (params: unknown) =>
      (Array.isArray(params) ? params : []).map((v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? `<${v.byteLength} bytes>` : '***'));
    const db = await openTemp({ integers: 'bigint', middleware: [logger({ logger: log, params: redact })] });
    await db.exec('CREATE TABLE big (v INTEGER, b BLOB, secret TEXT)');
    const big = 2n ** 63n - 1n;
    await db.run('INSERT INTO big VALUES (?, ?, ?)', [big, Buffer.alloc(16), 'hunter2']);
    expect(lines[1]).toMatchObject({ params: ['9223372036854775807', '<16 bytes>', '***'] });
    expect(await db.get('SELECT v FROM big')).toEqual({ v: big });
  });

  it('samples whole transactions: with a rate of 0.5 each transaction is logged entirely or not at all; errors always', async () => {
    const { log, lines } = memoryPino('debug');
    const db = await openTemp({ middleware: [logger({ logger: log, sampleRate: 0.5 })] });
    await db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    for (let i = 0; i < 40; i++) {
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', [i]);
        await tx.run('INSERT INTO t VALUES (?)', [i]);
      });
    }
    const byTx = new Map<unknown, string[]>();
    for (const line of lines) if (line['transactionId'] !== undefined) byTx.set(line['transactionId'], [...(byTx.get(line['transactionId']) ?? []), String(line['event'])]);
    expect(byTx.size).toBeGreaterThan(5);
    expect(byTx.size).toBeLessThan(35);
    for (const seen of byTx.values()) expect(seen).toEqual(['begin', 'statement', 'statement', 'commit']);

    const { log: quiet, lines: quietLines } = memoryPino('debug');
    const db2 = await openTemp({ middleware: [logger({ logger: quiet, sampleRate: 0 })] });
    await db2.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    await db2.run('INSERT INTO t VALUES (NULL)').catch(() => undefined);
    expect(events(quietLines)).toEqual(['error']);
  });

  it('counts the rows an iterate delivered when its loop ends', async () => {
    const { log, lines } = memoryPino('debug');
    const db = await openTemp({ middleware: [logger({ logger: log })] });
    await db.exec('CREATE TABLE n (v); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) INSERT INTO n SELECT x FROM c');
    lines.length = 0;
    let seen = 0;
    for await (const _ of db.iterate('SELECT v FROM n', [], { chunkSize: 50 })) if (++seen === 120) break;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'statement', kind: 'iterate', rows: 120 });
  });

  it('logs one retry line with the attempts when registered before retry(), for a write that met SQLITE_BUSY', async () => {
    const { log, lines } = memoryPino('info');
    const path = join(tempDir(), 'busy.db');
    const holder = await openTemp({ busyTimeoutMs: 0 }, path);
    await holder.exec('CREATE TABLE t (v)');
    const db = await openTemp({ busyTimeoutMs: 0, middleware: [logger({ logger: log }), retry({ baseDelayMs: 5, maxDelayMs: 20, maxRetries: 50 })] }, path);
    const held = holder.begin();
    const tx = await held;
    await tx.run('INSERT INTO t VALUES (1)');
    const write = db.run('INSERT INTO t VALUES (2)');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await tx.commit();
    await write;
    const retryLine = lines.find((l) => l['event'] === 'retry');
    expect(retryLine).toMatchObject({ level: 40, kind: 'run', summary: 'INSERT t' });
    expect(retryLine!['attempts'] as number).toBeGreaterThan(1);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
  });

  it('does nothing but pass the operation on while every level it uses is off, and follows a level changed at run time', async () => {
    const { log, lines } = memoryPino('silent');
    const terminalPromise = Promise.resolve({ one: 1 });
    const execute = compose([logger({ logger: log })], () => terminalPromise);
    const op: Operation = { kind: 'get', sql: 'SELECT 1 AS one', params: undefined, options: {}, transaction: undefined, connection: undefined, attributes: {} };
    // Not even a promise of its own: the terminal's promise comes straight back.
    expect(execute(op)).toBe(terminalPromise);
    log.level = 'debug';
    const observed = execute({ ...op, attributes: {} });
    expect(observed).not.toBe(terminalPromise);
    await observed;
    expect(events(lines)).toEqual(['statement']);
  });

  it('works with console’s shape (no level methods to ask) and never fails a query when the logger throws', async () => {
    const calls: Array<[string, Record<string, unknown>, string]> = [];
    const consoleLike = {
      debug: (o: Record<string, unknown>, m: string) => calls.push(['debug', o, m]),
      info: (o: Record<string, unknown>, m: string) => calls.push(['info', o, m]),
      warn: (o: Record<string, unknown>, m: string) => calls.push(['warn', o, m]),
      error: (o: Record<string, unknown>, m: string) => calls.push(['error', o, m]),
    };
    const db = await openTemp({ middleware: [logger({ logger: consoleLike, levels: { statement: 'info' } })] });
    await db.get('SELECT 1');
    expect(calls).toEqual([['info', expect.objectContaining({ event: 'statement', kind: 'get', summary: 'SELECT' }), 'sqlite statement: SELECT']]);

    const failures: unknown[] = [];
    const broken = { debug: () => { throw new Error('disk full'); }, info() {}, warn() {}, error() {} };
    const db2 = await openTemp({ middleware: [logger({ logger: broken, onError: (err) => failures.push(err) })] });
    expect(await db2.get('SELECT 2 AS two')).toEqual({ two: 2 });
    expect(failures).toHaveLength(1);
  });

  it('refuses bad options with ERR_RAPSQLITE_INVALID_ARGUMENT', () => {
    const { log } = memoryPino();
    const bad: unknown[] = [
      undefined,
      {},
      { logger: log, levels: { statement: 'loud' } },
      { logger: log, levels: { query: 'info' } },
      { logger: log, slowMs: -1 },
      { logger: log, sampleRate: 2 },
      { logger: log, sql: 'yes' },
      { logger: log, params: true },
      { logger: log, colour: true },
      { logger: { info() {} } },
    ];
    for (const options of bad) {
      expect(() => logger(options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
    }
  });
});
