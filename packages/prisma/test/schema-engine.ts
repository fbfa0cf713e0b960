import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

/**
 * Prisma's schema engine, compiled to WebAssembly (`@prisma/schema-engine-wasm`, the same engine hash as the CLI), run
 * through a driver adapter: the offline route to `migrate diff` and `migrate deploy`, whose CLI commands need a native
 * engine binary downloaded at start-up.
 */
export interface WasmSchemaEngine {
  diff(params: unknown): Promise<unknown>;
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
}

/** A running schema engine and `close()`, which frees it and disposes the connections it opened. */
export interface SchemaEngineSession {
  readonly engine: WasmSchemaEngine;
  close(): Promise<void>;
}

let loaded: Promise<{ SchemaEngine: { new: (options: unknown, log: (line: string) => void, adapter: object) => Promise<WasmSchemaEngine> } }> | undefined;

async function load() {
  const entry = fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm'));
  const bg = (await import(join(dirname(entry), 'schema_engine_bg.js'))) as Record<string, unknown> & { __wbg_set_wasm(exports: unknown): void };
  const bytes = await readFile(join(dirname(entry), 'schema_engine_bg.wasm'));
  // The engine's own entry imports the .wasm file as an ES module, which Node runs only behind a flag: instantiate it here.
  const wasm = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
  const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports['__wbindgen_start'] as () => void)();
  return bg as never;
}

/**
 * Starts the schema engine for `schemaPath` on `factory`. The engine takes `PRAGMA locking_mode=EXCLUSIVE` on its
 * connection (the CLI's process exits afterwards), so `close()` must run before anything else opens the file.
 */
export async function startSchemaEngine(factory: SqlMigrationAwareDriverAdapterFactory, schemaPath: string): Promise<SchemaEngineSession> {
  loaded ??= load();
  const { SchemaEngine } = await loaded;
  const schema = await readFile(schemaPath, 'utf8');
  const adapters: SqlDriverAdapter[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      adapters.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      adapters.push(adapter);
      return adapter;
    },
  };
  const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => undefined, bindMigrationAwareSqlAdapterFactory(tracked));
  return {
    engine,
    close: async () => {
      (engine as unknown as { free(): void }).free();
      for (const adapter of adapters.splice(0)) await adapter.dispose();
    },
  };
}
