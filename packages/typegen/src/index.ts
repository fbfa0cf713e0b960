/**
 * @rapsqlite/typegen: TypeScript row and insert types generated from a live SQLite schema, integer-mode aware, with
 * an optional Kysely `DB` interface.
 */
export { detectIntegerMode, generateTypes } from './generate-types.ts';
export type { TypegenOptions } from './generate-types.ts';
export { columnType } from './type-mapping.ts';
export type { IntegerTyping } from './type-mapping.ts';
