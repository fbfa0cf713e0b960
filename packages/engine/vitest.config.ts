import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (*.test-d.ts) are compiled by tsc, not run: they fail when a public type changes.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Node 24's V8 can abort with "Check failed: jit_page.has_value()" on CPUs with memory protection keys when many
    // worker threads start and stop (a V8 bug in its JIT page tracking): the test processes run without them.
    execArgv: ['--no-memory-protection-keys'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
