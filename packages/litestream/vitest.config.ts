import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Node 24's V8 can abort with "Check failed: jit_page.has_value()" on CPUs with memory protection keys when many
    // worker threads start and stop (a V8 bug in its JIT page tracking): the test processes run without them.
    execArgv: ['--no-memory-protection-keys'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
