import { join } from 'node:path';
import { describe, it } from 'vitest';
import { defineConformanceSuite } from '@rapsqlite/testing';
import { openLibsql } from '../src/index.ts';

// @libsql/client's local file mode: the same client API as Turso and sqld, on a file in the check's own folder.
// Each file is opened by libSQL alone (never by better-sqlite3 in this process).
defineConformanceSuite('libsql file:', (dir) => openLibsql(`file:${join(dir, 'conformance.db')}`), {
  describe,
  it,
  skip: [
    // libSQL's local driver cuts a string at U+0000; such a string is refused with ERR_RAPSQLITE_PARAMETER_ENCODING.
    'results > round-trips null, integers, reals, text with any characters and bigint',
    // The client reports column names and declared types, not origin tables and columns.
    'results > returns array rows and column metadata from values',
    // @libsql/client cannot interrupt a statement, and in file: mode it runs SQLite on the caller's thread: the
    // ten-second query of these checks would block the process. Deadlines are honoured around calls (cancellation.test.ts).
    'cancellation > stops a running query at its timeoutMs with ERR_RAPSQLITE_TIMEOUT and stays usable',
    'cancellation > stops a running query when its signal aborts with ERR_RAPSQLITE_ABORTED',
    'cancellation > rolls back a transaction that passes its timeoutMs',
  ],
});
