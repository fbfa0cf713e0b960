import { createNoopMeter, metrics, type Histogram, type Meter, type MeterProvider } from '@opentelemetry/api';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from '../version.ts';

/** The no-op histogram of this copy of the API: measuring into it is skipped, attributes and all. */
const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop');

/**
 * Follows a meter provider: the injected one, or the global one looked up on every use. Instruments made from a
 * no-op meter stay no-ops forever, so when the global provider changes (an SDK registered after the database
 * was opened, or `metrics.disable()`), the owner's instruments are made again from the new meter.
 */
export class MeterSource {
  readonly #injected: MeterProvider | undefined;
  #provider: MeterProvider | undefined;
  #meter: Meter | undefined;

  constructor(injected: MeterProvider | undefined) {
    this.#injected = injected;
  }

  /** The current meter, and whether it differs from the one returned last time. */
  current(): { readonly meter: Meter; readonly changed: boolean } {
    const provider = this.#injected ?? metrics.getMeterProvider();
    if (provider === this.#provider && this.#meter !== undefined) return { meter: this.#meter, changed: false };
    this.#provider = provider;
    this.#meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    return { meter: this.#meter, changed: true };
  }
}

/** The two operation histograms of one meter, as a call records into them. */
export interface OperationHistograms {
  readonly duration: Histogram;
  readonly rows: Histogram;
}

/** The operation instruments: `db.client.operation.duration` and `db.client.response.returned_rows`. */
export class Instruments {
  readonly #source: MeterSource;
  readonly #durationBuckets: readonly number[];
  readonly #rowBuckets: readonly number[];
  /** The histograms of the current meter; undefined while it is a no-op one (nothing needs measuring). */
  #current: OperationHistograms | undefined;

  constructor(provider: MeterProvider | undefined, durationBuckets: readonly number[], rowBuckets: readonly number[]) {
    this.#source = new MeterSource(provider);
    this.#durationBuckets = durationBuckets;
    this.#rowBuckets = rowBuckets;
  }

  /**
   * The histograms of the meter provider current now (made again if it changed since the last call), or undefined
   * when it is a no-op one. A call keeps the pair it started with: its measurements go where they would have gone
   * had they been recorded at once.
   */
  resolve(): OperationHistograms | undefined {
    const { meter, changed } = this.#source.current();
    if (!changed) return this.#current;
    const duration = meter.createHistogram('db.client.operation.duration', {
      description: 'Duration of database client operations.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...this.#durationBuckets] },
    });
    const rows = meter.createHistogram('db.client.response.returned_rows', {
      description: 'The actual number of records returned by the database operation.',
      unit: '{row}',
      advice: { explicitBucketBoundaries: [...this.#rowBuckets] },
    });
    this.#current = duration === NOOP_HISTOGRAM ? undefined : Object.freeze({ duration, rows });
    return this.#current;
  }
}
