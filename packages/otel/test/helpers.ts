import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { open, type Database, type DatabaseOptions } from '@rapsqlite/engine';
import { afterEach, beforeAll } from 'vitest';
import { DEFERRED_SPAN_PROCESSOR, otel } from '../src/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => {
  // Spans become parents through the active context; AsyncLocalStorage carries it across awaits.
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});

/** Registers cleanup to run after the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** Opens a database on a new file in a temporary folder; closed and removed after the test. */
export async function openTemp(options?: DatabaseOptions): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-otel-'));
  const db = await open(join(dir, 'db.sqlite'), options);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return db;
}

/** The deferred telemetry of every `otel()` middleware is flushed together: any middleware's `flush()` does it. */
const flusher = otel();

/**
 * A tracer provider that keeps finished spans in memory. Its first span processor is DEFERRED_SPAN_PROCESSOR, as the
 * docs advise, so `provider.forceFlush()` records the deferred statement spans before the exporter is read.
 */
export function memoryTracing(): { provider: TracerProvider; exporter: InMemorySpanExporter; spans: () => Promise<ReadableSpan[]> } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [DEFERRED_SPAN_PROCESSOR, new SimpleSpanProcessor({ exporter })] });
  cleanups.push(() => provider.shutdown());
  return {
    provider,
    exporter,
    spans: async () => {
      await provider.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}

/** A metric reader collected by hand. */
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A meter provider whose metrics are collected on demand. */
export function memoryMetrics(): { provider: MeterProvider; collect: () => Promise<MetricData[]> } {
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => provider.shutdown());
  return {
    provider,
    collect: async () => {
      // Measurements of settled calls are recorded with their spans, deferred: flushed first.
      await flusher.flush();
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
  };
}

/** The metric named `name`, or a failure. */
export function metric(all: readonly MetricData[], name: string): MetricData {
  const found = all.find((m) => m.descriptor.name === name);
  if (found === undefined) throw new Error(`no metric ${name}; have ${all.map((m) => m.descriptor.name).join(', ')}`);
  return found;
}

/** The histogram data points of a metric. */
export function histogram(data: MetricData): HistogramMetricData['dataPoints'] {
  if (data.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${data.descriptor.name} is not a histogram`);
  return (data as HistogramMetricData).dataPoints;
}

/** The sum data points of a metric (counters and up-down counters). */
export function sums(data: MetricData): SumMetricData['dataPoints'] {
  if (data.dataPointType !== DataPointType.SUM) throw new Error(`${data.descriptor.name} is not a sum`);
  return (data as SumMetricData).dataPoints;
}

/** The span named `name`, or a failure. */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no span ${name}; have ${spans.map((s) => s.name).join(', ')}`);
  return found;
}
