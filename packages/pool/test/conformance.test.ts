import { join } from 'node:path';
import { describe, it } from 'vitest';
import { defineConformanceSuite } from '@rapsqlite/testing';
import { createPool } from '../src/index.ts';

// The shared query-API suite, run against the pool with its defaults, and with the smallest and a pipelined shape.
defineConformanceSuite('pool', (dir) => createPool(join(dir, 'conformance.db')), { describe, it });

defineConformanceSuite('pool with one reader, pipelined, read-your-writes', (dir) => createPool(join(dir, 'conformance.db'), { minReaders: 1, maxReaders: 1, pipelining: 4, readYourWrites: true }), {
  describe,
  it,
});
