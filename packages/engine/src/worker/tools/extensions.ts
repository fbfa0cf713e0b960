/**
 * SQLite extensions inside the worker. Extensions load only through the `extensions` option, by better-sqlite3's
 * C-level `loadExtension`, on every worker and pool reader; SQL's own `load_extension()` is always refused, so SQL
 * text (a migration, an injected string) can never load native code.
 */
import { ToolboxErrorCodes } from '../../toolbox/codes.ts';
import { ToolError } from './tool-error.ts';

/** An extension to load: the shared library's path and, when it is not SQLite's default, its entry point. */
export interface ExtensionSpec {
  readonly path: string;
  readonly entryPoint?: string;
}

/** The part of better-sqlite3 extension loading uses, typed structurally. */
export interface ExtensionHost {
  loadExtension(path: string, entryPoint?: string): unknown;
  function(name: string, options: Record<string, unknown>, fn: (...args: unknown[]) => unknown): unknown;
}

/** Loads each extension in order. Errors: `ERR_RAPSQLITE_EXTENSION_LOAD`, naming the path, with SQLite's message. */
export function loadExtensions(db: ExtensionHost, specs: readonly ExtensionSpec[]): void {
  for (const spec of specs) {
    try {
      if (spec.entryPoint === undefined) db.loadExtension(spec.path);
      else db.loadExtension(spec.path, spec.entryPoint);
    } catch (err) {
      throw new ToolError(ToolboxErrorCodes.EXTENSION_LOAD, `Cannot load extension ${spec.path}: ${(err as Error).message}`, err);
    }
  }
}

function refuse(): never {
  throw new ToolError(
    ToolboxErrorCodes.EXTENSION_DISABLED,
    'SQL cannot load extensions: list them in the extensions option of open() instead',
  );
}

/**
 * Replaces SQL's `load_extension()` (one and two arguments) with a function that fails with
 * `ERR_RAPSQLITE_EXTENSION_DISABLED`. SQLite already refuses it ("not authorized", `SQLITE_ERROR`); the replacement
 * gives a code a caller can match. Application-defined functions take precedence over SQLite's built-ins.
 */
export function refuseSqlExtensionLoading(db: ExtensionHost): void {
  db.function('load_extension', { directOnly: true }, (_path: unknown) => refuse());
  db.function('load_extension', { directOnly: true }, (_path: unknown, _entry: unknown) => refuse());
}
