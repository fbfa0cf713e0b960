import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Prisma's schema engine, compiled to WebAssembly (`@prisma/schema-engine-wasm`, the same engine hash as the CLI), run
 * through a driver adapter: the offline route to `migrate diff` and `migrate deploy`, whose CLI commands need a native
 * engine binary downloaded at start-up.
 */
export interface WasmSchemaEngine {
  diff(params: unknown): Promise<unknown>;
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
  free(): void;
}

let loaded: Promise<{ SchemaEngine: { new: (options: unknown, log: (line: string) => void, adapter: object) => Promise<WasmSchemaEngine> } }> | undefined;

async function load() {
  const entry = fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm'));
  const bg = (await import(join(dirname(entry), 'schema_engine_bg.js'))) as Record<string, unknown> & { __wbg_set_wasm(exports: unknown): void };
  const bytes = await readFile(join(dirname(entry), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg as WebAssembly.ModuleImports });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bg as never;
}

/** Starts the schema engine for `schemaPath` on `factory`. */
export async function startSchemaEngine(factory: SqlMigrationAwareDriverAdapterFactory, schemaPath: string): Promise<WasmSchemaEngine> {
  loaded ??= load();
  const { SchemaEngine } = await loaded;
  const schema = await readFile(schemaPath, 'utf8');
  return SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => undefined, bindMigrationAwareSqlAdapterFactory(factory));
}
