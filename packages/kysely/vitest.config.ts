import { defineConfig } from 'vitest/config';

// The app, concurrency and migration tests also run against Kysely 0.28 (the dialect's sources included), through an
// alias to the `kysely-028` dev dependency; 0.28 exports the Migrator from its root.
const KYSELY_028 = [
  { find: /^kysely\/migration$/, replacement: 'kysely-028' },
  { find: /^kysely\/helpers\/sqlite$/, replacement: 'kysely-028/helpers/sqlite' },
  { find: /^kysely$/, replacement: 'kysely-028' },
];

export default defineConfig({
  test: {
    // Node 24's V8 can abort with "Check failed: jit_page.has_value()" on CPUs with memory protection keys when many
    // worker threads start and stop (a V8 bug in its JIT page tracking): the test processes run without them.
    execArgv: ['--no-memory-protection-keys'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'kysely 0.29', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        resolve: { alias: KYSELY_028 },
        test: { name: 'kysely 0.28', env: { KYSELY_LINE: '0.28' }, include: ['test/app.test.ts', 'test/concurrency.test.ts', 'test/migrations.test.ts'] },
      },
    ],
  },
});
