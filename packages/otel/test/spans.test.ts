import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Middleware } from '@rapsqlite/engine';
import { describe, expect, it } from 'vitest';
import { otel } from '../src/index.ts';
import { memoryTracing, onCleanup, openTemp, spanNamed } from './helpers.ts';

describe('statement spans', () => {
  it('makes a CLIENT span named after the query summary, with the semantic-convention attributes', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    await db.run('INSERT INTO users (name) VALUES (?)', ['ada']);
    await db.get('SELECT name FROM users WHERE id = ?', [1]);

    const span = spanNamed(await spans(), 'SELECT users');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'db.system.name': 'sqlite',
      'db.namespace': 'db.sqlite',
      'db.query.summary': 'SELECT users',
      'db.query.text': 'SELECT name FROM users WHERE id = ?',
      'rapsqlite.operation.kind': 'get',
      'rapsqlite.connection.role': 'writer',
    });
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('db.query.parameter'))).toEqual([]);
    expect(span.attributes['db.response.returned_rows']).toBeUndefined();
    expect(span.attributes['db.operation.name']).toBeUndefined();
  });

  it('replaces inline literals in db.query.text but keeps parameterized text as is', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE t (a TEXT, b INTEGER)');
    await db.run("INSERT INTO t (a, b) VALUES ('secret', 42)");
    await db.run('INSERT INTO t (a, b) VALUES (:a, :b)', { a: 'x', b: 1 });

    const inserts = (await spans()).filter((s) => s.name === 'INSERT t');
    expect(inserts.map((s) => s.attributes['db.query.text'])).toEqual([
      'INSERT INTO t (a, b) VALUES (?, ?)',
      'INSERT INTO t (a, b) VALUES (:a, :b)',
    ]);
    expect(JSON.stringify(inserts.map((s) => s.attributes))).not.toContain('secret');
  });

  it('leaves db.query.text out when text capture is off', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, captureQueryText: false })] });
    await db.get('SELECT 1 AS one');
    const span = spanNamed(await spans(), 'SELECT');
    expect(span.attributes['db.query.text']).toBeUndefined();
    expect(span.attributes['db.query.summary']).toBe('SELECT');
  });

  it('records parameters only when asked, by index or by name, and only the allowed keys', async () => {
    const all = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: all.provider, captureParameters: true })] });
    await db.get('SELECT ? AS a, ? AS b, ? AS c, ? AS d', [1, 'two', null, Buffer.from([1, 2, 3])]);
    await db.get('SELECT :id AS id, @name AS name', { id: 7n, name: 'ada' });
    const [positional, named] = await all.spans();
    expect(positional?.attributes).toMatchObject({
      'db.query.parameter.0': '1',
      'db.query.parameter.1': 'two',
      'db.query.parameter.2': 'null',
      'db.query.parameter.3': '<blob 3 bytes>',
    });
    expect(named?.attributes).toMatchObject({ 'db.query.parameter.id': '7', 'db.query.parameter.name': 'ada' });

    const some = memoryTracing();
    const filtered = db.with(otel({ tracerProvider: some.provider, captureParameters: ['id'] }));
    await filtered.get('SELECT :id AS id, :password AS p', { id: 1, password: 'hunter2' });
    const [span] = await some.spans();
    expect(span?.attributes['db.query.parameter.id']).toBe('1');
    expect(JSON.stringify(span?.attributes)).not.toContain('hunter2');
  });

  it('records returned rows only when asked', async () => {
    const off = memoryTracing();
    const on = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: off.provider })] });
    const counted = db.with(otel({ tracerProvider: on.provider, captureReturnedRows: true }));
    await db.exec('CREATE TABLE n (x); INSERT INTO n VALUES (1), (2), (3)');
    await counted.all('SELECT x FROM n');
    await counted.get('SELECT x FROM n WHERE x = 9');
    await counted.values('SELECT x FROM n WHERE x > 1');
    const rows = (await on.spans()).map((s) => [s.attributes['rapsqlite.operation.kind'], s.attributes['db.response.returned_rows']]);
    expect(rows).toEqual([
      ['all', 3],
      ['get', 0],
      ['values', 2],
    ]);
    for (const span of await off.spans()) expect(span.attributes['db.response.returned_rows']).toBeUndefined();
  });

  it('records changed rows of run and runMany', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE n (x)');
    await db.runMany('INSERT INTO n VALUES (?)', [[1], [2], [3]]);
    await db.run('UPDATE n SET x = x + 1 WHERE x > 1');
    const byName = Object.fromEntries((await spans()).map((s) => [s.name, s.attributes['rapsqlite.response.changes']]));
    expect(byName).toMatchObject({ 'BATCH INSERT n': 3, 'UPDATE n': 2 });
  });

  it('marks a failed statement with error.type, the SQLite extended code and an ERROR status', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE u (email TEXT UNIQUE)');
    await db.run('INSERT INTO u VALUES (?)', ['a@example.com']);
    const error = await db.run('INSERT INTO u VALUES (?)', ['a@example.com']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });

    const failed = (await spans()).filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attributes).toMatchObject({
      'error.type': 'SQLITE_CONSTRAINT_UNIQUE',
      'db.response.status_code': 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect(failed[0]?.status.message).toMatch(/UNIQUE/);
  });

  it('gives library errors an error.type but no database status code', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await expect(db.get('SELECT ?', [1, 2])).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_PARAMETER_COUNT' });
    const [span] = await spans();
    expect(span?.attributes['error.type']).toBe('ERR_RAPSQLITE_PARAMETER_COUNT');
    expect(span?.attributes['db.response.status_code']).toBeUndefined();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('models runMany as a batch of the statement, except with a single parameter set', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, captureParameters: true })] });
    await db.exec('CREATE TABLE n (x)');
    await db.runMany('INSERT INTO n VALUES (?)', [[1], [2]]);
    await db.runMany('INSERT INTO n VALUES (?)', [[3]]);
    const [, batch, single] = await spans();
    expect(batch?.name).toBe('BATCH INSERT n');
    expect(batch?.attributes).toMatchObject({ 'db.query.summary': 'BATCH INSERT n', 'db.operation.batch.size': 2 });
    expect(Object.keys(batch?.attributes ?? {}).some((k) => k.startsWith('db.query.parameter'))).toBe(false);
    expect(single?.name).toBe('INSERT n');
    expect(single?.attributes['db.operation.batch.size']).toBeUndefined();
  });

  it('makes database spans children of the span active where the query was called', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    const tracer = provider.getTracer('test');
    await tracer.startActiveSpan('GET /users', async (request) => {
      await db.get('SELECT 1 AS x');
      request.end();
    });
    const finished = await spans();
    const request = spanNamed(finished, 'GET /users');
    const query = spanNamed(finished, 'SELECT');
    expect(query.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(query.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  it('makes no spans without an active parent when requireParentSpan is set', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, requireParentSpan: true })] });
    await db.get('SELECT 1 AS orphan');
    await provider.getTracer('test').startActiveSpan('job', async (job) => {
      await db.get('SELECT 2 AS child');
      job.end();
    });
    const texts = (await spans()).map((s) => s.attributes['db.query.text']).filter((t) => t !== undefined);
    expect(texts).toEqual(['SELECT ? AS child']);
  });

  it('makes no span under an unsampled parent, and none for its transaction or statements', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    const unsampled = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 });
    await context.with(trace.setSpan(context.active(), unsampled), async () => {
      await db.get('SELECT 1 AS x');
      await db.transaction(async (tx) => {
        await tx.get('SELECT 2 AS y');
      });
    });
    expect(await spans()).toEqual([]);
  });

  it('with recording: sync, makes the statement span active for the inner middleware and shares it as op.attributes["rapsqlite.otel.span"]', async () => {
    const { provider, spans } = memoryTracing();
    let seen: string | undefined;
    let shared: unknown;
    const probe: Middleware = {
      name: 'probe',
      wrap: (next) => (op) => {
        shared = op.attributes['rapsqlite.otel.span'];
        seen = trace.getSpan(context.active())?.spanContext().spanId;
        return next(op);
      },
    };
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, recording: 'sync' }), probe] });
    await db.get('SELECT 1 AS x');
    const [span] = await spans();
    expect(seen).toBe(span?.spanContext().spanId);
    expect((shared as { spanContext(): { spanId: string } }).spanContext().spanId).toBe(seen);
  });
});

describe('iterate spans', () => {
  it('ends the span when the iteration finishes, counting the rows streamed', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, captureReturnedRows: true })] });
    await db.exec('CREATE TABLE n (x)');
    await db.runMany('INSERT INTO n VALUES (?)', Array.from({ length: 50 }, (_, i) => [i]));
    const iterator = db.iterate<{ x: number }>('SELECT x FROM n ORDER BY x', undefined, { chunkSize: 8 });
    let seen = 0;
    for await (const row of iterator) {
      expect(row.x).toBe(seen);
      seen++;
      if (seen === 10) expect((await spans()).some((s) => s.name === 'SELECT n')).toBe(false);
    }
    expect(seen).toBe(50);
    const span = spanNamed(await spans(), 'SELECT n');
    expect(span.attributes).toMatchObject({ 'rapsqlite.operation.kind': 'iterate', 'db.response.returned_rows': 50 });
  });

  it('ends the span when the loop is left early', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, captureReturnedRows: true })] });
    await db.exec('CREATE TABLE n (x)');
    await db.runMany('INSERT INTO n VALUES (?)', Array.from({ length: 100 }, (_, i) => [i]));
    for await (const row of db.iterate<{ x: number }>('SELECT x FROM n', undefined, { chunkSize: 4 })) {
      if (row.x === 4) break;
    }
    const span = spanNamed(await spans(), 'SELECT n');
    expect(span.attributes['db.response.returned_rows']).toBe(5);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The statement was finalized: the database still accepts writes.
    await db.run('DELETE FROM n');
  });

  it('marks the span failed when the cursor cannot open', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await expect(async () => {
      for await (const _ of db.iterate('SELECT * FROM missing')) void _;
    }).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    const [span] = await spans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('SQLITE_ERROR');
  });
});

describe('transaction spans', () => {
  it('makes the transaction the parent of its statements and the active span inside the callback', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE n (x)');
    let active: string | undefined;
    await db.transaction(async (tx) => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      await tx.run('INSERT INTO n VALUES (1)');
      await tx.get('SELECT count(*) AS c FROM n');
    });
    const finished = await spans();
    const transaction = spanNamed(finished, 'transaction');
    expect(transaction.kind).toBe(SpanKind.INTERNAL);
    expect(transaction.attributes).toMatchObject({
      'db.system.name': 'sqlite',
      'db.operation.name': 'transaction',
      'rapsqlite.transaction.depth': 0,
      'rapsqlite.transaction.mode': 'immediate',
    });
    expect(active).toBe(transaction.spanContext().spanId);
    const children = finished.filter((s) => s.parentSpanContext?.spanId === transaction.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(['BEGIN IMMEDIATE', 'INSERT n', 'SELECT n', 'COMMIT']);
    for (const child of children) expect(child.kind).toBe(SpanKind.CLIENT);
  });

  it('nests a savepoint span under its transaction and marks a rolled-back transaction failed', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider })] });
    await db.exec('CREATE TABLE n (x)');
    const failure = new Error('nope');
    await expect(
      db.transaction(async (tx) => {
        await tx.transaction(async (inner) => {
          await inner.run('INSERT INTO n VALUES (1)');
        });
        throw failure;
      }),
    ).rejects.toBe(failure);
    const finished = await spans();
    const outer = finished.find((s) => s.name === 'transaction' && s.attributes['rapsqlite.transaction.depth'] === 0);
    const inner = finished.find((s) => s.name === 'transaction' && s.attributes['rapsqlite.transaction.depth'] === 1);
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
    expect(outer?.status.code).toBe(SpanStatusCode.ERROR);
    expect(outer?.attributes['error.type']).toBe('_OTHER');
    expect(finished.some((s) => s.name === 'ROLLBACK' && s.parentSpanContext?.spanId === outer?.spanContext().spanId)).toBe(true);
  });

  it('leaves out the BEGIN and COMMIT spans when control spans are off', async () => {
    const { provider, spans } = memoryTracing();
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, controlSpans: false })] });
    await db.transaction(async (tx) => {
      await tx.get('SELECT 1 AS x');
    });
    expect((await spans()).map((s) => s.name).sort()).toEqual(['SELECT', 'transaction']);
  });
});

describe('span timing', () => {
  it('with recording: sync, has the span ended when the call resolves', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    onCleanup(() => provider.shutdown());
    const db = await openTemp({ middleware: [otel({ tracerProvider: provider, metrics: false, recording: 'sync' })] });
    await db.get('SELECT 3 AS z');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['SELECT']);
  });
});
