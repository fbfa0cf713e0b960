// SDK endpoints for the measuring scripts: the cost measured is the instrumentation's and the SDK's, not an exporter's.
import { MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Accepts spans and drops them: the cost measured is the instrumentation's and the SDK's, not an exporter's I/O. */
export class DiscardExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A reader that is never collected: measurements are aggregated, as between two exports. */
export class IdleReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
