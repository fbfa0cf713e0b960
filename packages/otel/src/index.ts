/**
 * @rapsqlite/otel: OpenTelemetry spans and metrics for rapsqlite, per the database semantic conventions, built on
 * `@opentelemetry/api` only.
 */
export { DEFERRED_SPAN_PROCESSOR, DURATION_BUCKETS, MAX_DEFERRED, RECORDING_MODES, RETURNED_ROWS_BUCKETS, otel } from './otel.ts';
export type { DeferredSpanProcessor, OtelMiddleware, OtelOptions, RecordingMode } from './otel.ts';
export { POOL_EVENTS, POOL_TIME_BUCKETS, observePool } from './observe-pool.ts';
export type {
  ObservablePool,
  ObservePoolOptions,
  PoolEventName,
  PoolEventPayload,
  PoolGroupStats,
  PoolObservation,
  PoolStatsSnapshot,
} from './observe-pool.ts';
export type { PluginErrorContext, PluginErrorHandler } from '@rapsqlite/engine/plugin';
export { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.ts';
