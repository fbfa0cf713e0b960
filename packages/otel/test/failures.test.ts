import type { MeterProvider, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { otel, type PluginErrorContext } from '../src/index.ts';
import { memoryMetrics, memoryTracing, onCleanup, openTemp } from './helpers.ts';

function throwingTracerProvider(where: 'startSpan' | 'end'): TracerProvider {
  const real = memoryTracing().provider.getTracer('real');
  const tracer: Tracer = {
    startSpan(name, options, ctx) {
      if (where === 'startSpan') throw new Error('startSpan exploded');
      const span = real.startSpan(name, options, ctx);
      return new Proxy(span, {
        get(target, key, receiver) {
          if (key === 'end') {
            return () => {
              throw new Error('end exploded');
            };
          }
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }) as Span;
    },
    startActiveSpan: real.startActiveSpan.bind(real) as Tracer['startActiveSpan'],
  };
  return { getTracer: () => tracer };
}

function throwingMeterProvider(): MeterProvider {
  const { provider } = memoryMetrics();
  return {
    getMeter(name, version, options) {
      const meter = provider.getMeter(name, version, options);
      return new Proxy(meter, {
        get(target, key, receiver) {
          if (key === 'createHistogram') {
            return () => ({
              record() {
                throw new Error('record exploded');
              },
            });
          }
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
}

describe('a failing telemetry pipeline', () => {
  it.each(['startSpan', 'end'] as const)('never fails a query when %s throws, and reports it to onError', async (where) => {
    const errors: Array<[string, PluginErrorContext]> = [];
    const onError = (error: unknown, ctx: PluginErrorContext) => errors.push([(error as Error).message, ctx]);
    const db = await openTemp({ middleware: [otel({ tracerProvider: throwingTracerProvider(where), onError })] });
    await db.exec('CREATE TABLE n (x)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO n VALUES (?)', [1]);
    });
    expect(await db.get('SELECT x FROM n')).toEqual({ x: 1 });
    await expect(db.get('SELECT * FROM missing')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toEqual([`${where} exploded`, { plugin: 'otel', phase: where === 'startSpan' ? 'start' : 'end' }]);
  });

  it('never fails a query when recording a measurement throws', async () => {
    const errors: unknown[] = [];
    const tracing = otel({ meterProvider: throwingMeterProvider(), onError: (e) => errors.push(e) });
    const db = await openTemp({ middleware: [tracing] });
    expect(await db.get('SELECT 1 AS x')).toEqual({ x: 1 });
    // The measurement is recorded after the call settled: its failure is reported then.
    await tracing.flush();
    expect(errors).toHaveLength(1);
  });

  it('warns once through process.emitWarning when there is no onError, even if onError throws', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    onCleanup(() => warn.mockRestore());
    const db = await openTemp({ middleware: [otel({ tracerProvider: throwingTracerProvider('startSpan') })] });
    const alsoBroken = db.with(
      otel({
        tracerProvider: throwingTracerProvider('startSpan'),
        onError: () => {
          throw new Error('handler exploded');
        },
      }),
    );
    for (let i = 0; i < 3; i++) expect(await alsoBroken.get('SELECT ? AS i', [i])).toEqual({ i });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0]?.[0]).toMatch(/otel failed during start: startSpan exploded/);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'RAPSQLITE_PLUGIN_FAILURE' });
  });
});
