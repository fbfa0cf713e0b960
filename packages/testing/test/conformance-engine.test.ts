import { join } from 'node:path';
import { describe, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { defineConformanceSuite } from '../src/index.ts';

// The engine's run of the shared suite lives here rather than in packages/engine, so that engine does not depend on
// testing (which depends on engine).
defineConformanceSuite('engine', (dir) => open(join(dir, 'conformance.db')), { describe, it });

defineConformanceSuite('engine with a pass-through middleware', (dir) => open(join(dir, 'conformance.db'), { middleware: [{ name: 'noop', wrap: (next) => next }] }), {
  describe,
  it,
});
