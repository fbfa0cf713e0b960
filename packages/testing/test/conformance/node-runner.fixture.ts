// Run by define-conformance-suite.test.ts with `node --test`: the suite under node's own test runner.
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from '@rapsqlite/engine';
// The built package, as an application imports it (Node 22 cannot run the sources' `await using` by type stripping).
import { CONFORMANCE_GROUPS, defineConformanceSuite } from '@rapsqlite/testing';

defineConformanceSuite('engine under node:test', (dir) => open(join(dir, 'node-test.db')), {
  describe,
  it,
  skip: CONFORMANCE_GROUPS.filter((group) => group !== 'errors' && group !== 'results'),
});
