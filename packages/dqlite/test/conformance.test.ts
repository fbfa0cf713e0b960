import { basename } from 'node:path';
import { describe, inject, it } from 'vitest';
import { defineConformanceSuite } from '@rapsqlite/testing';
import { openDqlite } from '../src/index.ts';

const nodes = inject('dqliteNodes');

// Each check gets a database of its own on the shared cluster, named after its temporary folder.
defineConformanceSuite('dqlite', (dir) => openDqlite({ nodes, database: `conformance-${basename(dir)}` }), {
  describe,
  it,
  skip: [
    // dqlite's protocol ends strings at the first NUL: such a string is refused with ERR_RAPSQLITE_PARAMETER_ENCODING
    // (values.test.ts) instead of being stored cut short.
    'results > round-trips null, integers, reals, text with any characters and bigint',
    // dqlite's rows carry column names only: declared types and origin tables are null (values.test.ts).
    'results > returns array rows and column metadata from values',
    // These three run a recursive query of 10^8 rows (about two minutes of SQLite here). dqlite 1.11 steps a query on
    // the node's event loop and reads no request until it yields its first rows, so nothing can stop it and the
    // leader stops answering Raft meanwhile. The call's deadline and signal are honoured on the client
    // (cancellation.test.ts, with a query that ends on its own).
    'cancellation > stops a running query at its timeoutMs with ERR_RAPSQLITE_TIMEOUT and stays usable',
    'cancellation > stops a running query when its signal aborts with ERR_RAPSQLITE_ABORTED',
    'cancellation > rolls back a transaction that passes its timeoutMs',
  ],
});
