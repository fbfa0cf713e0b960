import { describe, expect, it } from 'vitest';
import { sanitizeSql } from '../../src/sql/sanitize.ts';
import { summarizeSql } from '../../src/sql/summarize.ts';
import { otelSqlVectors } from '../../../../tools/test-data.ts';

const { file, cases } = otelSqlVectors();

/**
 * Vectors not run, by name, with the reason. Empty: every vector passes, including the ones written in syntax
 * SQLite does not accept (`{ guid … }`, `IDENTITY(1,1)`, `table` and `Table` as bare names), which still test that
 * the utilities handle text they cannot parse. Add an entry here rather than deleting or loosening a vector.
 */
const SKIPPED: Readonly<Record<string, string>> = {};

// The vectors live in the workplace's shared folder, read in place; a checkout without it cannot run them.
describe.skipIf(file === undefined)('OpenTelemetry SQL test vectors (../shared/data not found beside the repository: set RAPSQLITE_TEST_DATA)', () => {
  it(`has the 24 upstream vectors, read from ${file}`, () => {
    expect(cases).toHaveLength(24);
  });

  for (const vector of cases) {
    const reason = SKIPPED[vector.name];
    const run = reason === undefined ? it : it.skip;
    const suffix = reason === undefined ? '' : ` (skipped: ${reason})`;

    run(`sanitizes ${vector.name} as the vector expects${suffix}`, () => {
      expect(vector.expected['db.query.text']).toContain(sanitizeSql(vector.input.query));
    });

    run(`summarizes ${vector.name} as the vector expects${suffix}`, () => {
      expect(summarizeSql(vector.input.query)).toBe(vector.expected['db.query.summary']);
    });
  }
});

describe('OpenTelemetry specification examples', () => {
  // From "Generating a summary of the query" in the database spans conventions (v1.44).
  const examples: ReadonlyArray<readonly [string, string]> = [
    ['SELECT *\nFROM wuser_table\nWHERE username = ?', 'SELECT wuser_table'],
    [
      'INSERT INTO shipping_details\n (order_id,\n address)\nSELECT order_id,\n address\n' +
        'FROM orders\nWHERE order_id = ?',
      'INSERT shipping_details SELECT orders',
    ],
    ['SELECT *\nFROM songs,\n artists\nWHERE songs.artist_id == artists.id', 'SELECT songs artists'],
    [
      'SELECT order_date\nFROM (SELECT *\n FROM orders o\n JOIN customers c\n ON o.customer_id = c.customer_id)',
      'SELECT SELECT orders customers',
    ],
    ['SELECT *\nFROM "song list",\n \'artists\'', 'SELECT "song list" \'artists\''],
    // The span-name section's anonymous table: only the inner query has a target.
    ['SELECT * FROM (SELECT * FROM table) t', 'SELECT SELECT table'],
  ];

  for (const [query, summary] of examples) {
    it(`summarizes ${JSON.stringify(query)} as ${summary}`, () => {
      expect(summarizeSql(query)).toBe(summary);
    });
  }

  it('leaves parameterized text without literals unchanged', () => {
    const query = 'SELECT * FROM wuser_table where username = ?';
    expect(sanitizeSql(query)).toBe(query);
  });
});
