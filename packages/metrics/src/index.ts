/**
 * @rapsqlite/metrics: Prometheus and StatsD exporters, slow-query detection with `EXPLAIN QUERY PLAN`, and
 * per-statement statistics in the manner of pg_stat_statements, as rapsqlite middleware.
 */
export { PROMETHEUS_DURATION_BUCKETS, PROMETHEUS_POOL_BUCKETS, PROMETHEUS_ROW_BUCKETS, prometheus } from './prometheus.ts';
export type { PrometheusMetrics, PrometheusOptions } from './prometheus.ts';
export { statsd } from './statsd.ts';
export type { StatsdClient, StatsdMetrics, StatsdOptions, StatsdTags } from './statsd.ts';
export { buildQueryPlan, formatQueryPlan, slowQuery } from './slow-query.ts';
export type {
  QueryPlanNode,
  SlowQueryError,
  SlowQueryOptions,
  SlowQueryRateLimit,
  SlowQueryReport,
  TraceIds,
} from './slow-query.ts';
export { QUERY_STATS_ORDERS, queryStats } from './query-stats.ts';
export type { QueryStats, QueryStatsEntry, QueryStatsOptions, QueryStatsOrder } from './query-stats.ts';
export { POOL_EVENTS } from './pool.ts';
export type {
  ObservablePool,
  ObservePoolOptions,
  PoolEventName,
  PoolEventPayload,
  PoolGroupStats,
  PoolObservation,
  PoolStatsSnapshot,
} from './pool.ts';
export type { PluginErrorContext, PluginErrorHandler } from '@rapsqlite/engine/plugin';
