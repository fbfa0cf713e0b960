import type { ColumnSnapshot, TableSnapshot } from '@rapsqlite/migrate';

/** How integers are typed: as rapsqlite returns them under each `integers` mode. */
export type IntegerTyping = 'number' | 'bigint' | 'auto';

/** The TypeScript type of an INTEGER under an integer mode. */
export function integerType(mode: IntegerTyping): string {
  return mode === 'number' ? 'number' : mode === 'bigint' ? 'bigint' : 'number | bigint';
}

/** Any value SQLite can hold, as rapsqlite returns it. */
export function anyType(mode: IntegerTyping): string {
  // REAL values are always numbers, so `number` is there in every mode.
  return mode === 'bigint' ? 'bigint | number | string | Buffer' : mode === 'auto' ? 'number | bigint | string | Buffer' : 'number | string | Buffer';
}

/**
 * The TypeScript type (without `null`) of a column: STRICT tables by their exact type, others by SQLite's affinity
 * rules, with the usual readings of NUMERIC-affinity names (BOOLEAN as the integers 0/1, dates and times as text,
 * which is what `CURRENT_TIMESTAMP` and ISO strings store; override with `columnTypes` where a column holds numbers).
 */
export function columnType(column: ColumnSnapshot, strict: boolean, mode: IntegerTyping): string {
  const declared = column.type.toUpperCase().trim();
  if (strict) {
    if (declared === 'INT' || declared === 'INTEGER') return integerType(mode);
    if (declared === 'REAL') return 'number';
    if (declared === 'TEXT') return 'string';
    if (declared === 'BLOB') return 'Buffer';
    return anyType(mode);
  }
  if (declared.includes('INT')) return integerType(mode);
  if (declared.includes('CHAR') || declared.includes('CLOB') || declared.includes('TEXT')) return 'string';
  if (declared === '') return anyType(mode);
  if (declared.includes('BLOB')) return 'Buffer';
  if (declared.includes('REAL') || declared.includes('FLOA') || declared.includes('DOUB')) return 'number';
  if (/\b(DATE|TIME|DATETIME|TIMESTAMP)\b/.test(declared)) return 'string';
  // NUMERIC affinity stores integral values as INTEGER, which the integer mode then governs.
  if (/\bBOOL(EAN)?\b/.test(declared)) return integerType(mode);
  return mode === 'number' ? 'number' : 'number | bigint';
}

/** Whether a column can never read as NULL: NOT NULL, the rowid alias, or a WITHOUT ROWID table's key. */
export function neverNull(column: ColumnSnapshot, table: TableSnapshot | undefined): boolean {
  if (column.notNull) return true;
  if (table === undefined || column.primaryKey === 0) return false;
  if (table.withoutRowid) return true;
  return isRowidAlias(column, table);
}

/** Whether a column is the rowid itself (`INTEGER PRIMARY KEY` of a rowid table): SQLite fills it when omitted. */
export function isRowidAlias(column: ColumnSnapshot, table: TableSnapshot): boolean {
  if (table.withoutRowid || column.primaryKey !== 1) return false;
  if (table.columns.filter((c) => c.primaryKey > 0).length !== 1) return false;
  return column.type.toUpperCase() === 'INTEGER';
}
