/**
 * @rapsqlite/testing: the shared conformance suite, mocking middleware, fixtures and record/replay for rapsqlite.
 */
export { CONFORMANCE_GROUPS, defineConformanceSuite } from './conformance/define-conformance-suite.ts';
export type {
  ConformanceFactory,
  ConformanceGroup,
  ConformanceHandle,
  ConformanceRunner,
  ConformanceSuiteOptions,
} from './conformance/define-conformance-suite.ts';
export { createMock } from './mock/create-mock.ts';
export type {
  Mock,
  MockCall,
  MockCallFilter,
  MockOptions,
  MockRule,
  MockRuleBuilder,
  MockRuleOptions,
  UnmatchedPolicy,
} from './mock/create-mock.ts';
export type { MockQuery, SqlMatcher } from './mock/sql-matcher.ts';
export { mockMatchers } from './mock/mock-matchers.ts';
export type { MockMatchers } from './mock/mock-matchers.ts';
export { createTemplateDatabase, createTestDatabase } from './fixtures/create-test-database.ts';
export type {
  TemplateDatabase,
  TemplateDatabaseOptions,
  TestDatabase,
  TestDatabaseOptions,
  TestHandle,
} from './fixtures/create-test-database.ts';
export type { SeedData } from './fixtures/seed.ts';
export { beginRollbackScope } from './fixtures/rollback-scope.ts';
export type { RollbackScope } from './fixtures/rollback-scope.ts';
export { useTestDatabase } from './fixtures/use-test-database.ts';
export type { TestDatabaseContext, TestHooks, TestIsolation, UseTestDatabaseOptions } from './fixtures/use-test-database.ts';
export { recordQueries } from './record/record-queries.ts';
export type { QueryRecorder, RecordQueriesOptions } from './record/record-queries.ts';
export { replayQueries } from './record/replay-queries.ts';
export type { QueryReplayer, ReplayMatch, ReplayQueriesOptions } from './record/replay-queries.ts';
export type { RecordedEntry, RecordedError, RecordingFile } from './record/recording.ts';
export { TestingErrorCodes } from './errors/codes.ts';
export type { TestingErrorCode } from './errors/codes.ts';
