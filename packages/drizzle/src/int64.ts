import { customType } from 'drizzle-orm/sqlite-core';

/**
 * A column type for 64-bit integers read and written as bigints, exactly: drizzle-orm 0.45 has no bigint mode for
 * SQLite integers, and its `integer()` columns would round a value past 2^53 on a driver that returns numbers. The
 * column is declared `integer` (SQLite stores it as INTEGER) and binds a bigint as an exact INTEGER. Read it with
 * `integers: 'auto'` (or `'bigint'`) on `drizzle()` or the handle; in the default `'number'` mode a value past 2^53
 * fails with `ERR_RAPSQLITE_INTEGER_OVERFLOW` rather than come back wrong.
 *
 * @example
 * ```ts
 * export const accounts = sqliteTable('accounts', { id: int64('id').primaryKey(), balance: int64('balance').notNull() });
 * ```
 */
export const int64 = customType<{ data: bigint; driverData: number | bigint }>({
  dataType() {
    return 'integer';
  },
  toDriver(value: bigint): bigint {
    return BigInt(value);
  },
  fromDriver(value: number | bigint): bigint {
    return BigInt(value);
  },
});
