import type { Operation } from '@rapsqlite/engine';
import { compose } from '@rapsqlite/engine/plugin';
import { hasLiterals } from '@rapsqlite/engine/sql';
import { describe, expect, it } from 'vitest';
import { otel } from '../src/index.ts';
import { otelSqlVectors } from '../../../tools/test-data.ts';
import { memoryTracing } from './helpers.ts';

const { file, cases } = otelSqlVectors();

describe.skipIf(file === undefined)('OpenTelemetry SQL test vectors, through the middleware (../shared/data not found: set RAPSQLITE_TEST_DATA)', () => {
  it(`has the 24 upstream vectors, read from ${file}`, () => {
    expect(cases).toHaveLength(24);
  });

  // The vectors are not all SQLite, so they run against a terminal that answers without a database.
  for (const vector of cases) {
    it(`gives the span of ${vector.name} the expected name, text and summary`, async () => {
      const { provider, spans } = memoryTracing();
      const execute = compose([otel({ tracerProvider: provider })], async () => []);
      const op: Operation = {
        kind: 'all',
        sql: vector.input.query,
        params: undefined,
        options: {},
        transaction: undefined,
        connection: { role: 'reader', id: 1, path: '/srv/app.db' },
        attributes: {},
      };
      await execute(op);
      const [span] = await spans();
      const summary = vector.expected['db.query.summary'];
      expect(span?.name).toBe(summary === '' ? 'sqlite' : summary);
      // Text with literals is sanitized as the vector expects; parameterized text is kept as is, comments included.
      if (hasLiterals(vector.input.query)) expect(vector.expected['db.query.text']).toContain(span?.attributes['db.query.text']);
      else expect(span?.attributes['db.query.text']).toBe(vector.input.query);
      expect(span?.attributes['db.query.summary']).toBe(summary === '' ? undefined : summary);
      expect(span?.attributes['db.namespace']).toBe('app.db');
    });
  }
});
