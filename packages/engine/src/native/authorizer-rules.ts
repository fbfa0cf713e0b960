import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';

/**
 * The SQLite authorizer action names, in the order of SQLite's action codes: the code of an action is its index
 * plus one (`CREATE_INDEX` is `SQLITE_CREATE_INDEX`, 1; `RECURSIVE` is 33).
 */
export const AUTHORIZER_ACTIONS = [
  'CREATE_INDEX',
  'CREATE_TABLE',
  'CREATE_TEMP_INDEX',
  'CREATE_TEMP_TABLE',
  'CREATE_TEMP_TRIGGER',
  'CREATE_TEMP_VIEW',
  'CREATE_TRIGGER',
  'CREATE_VIEW',
  'DELETE',
  'DROP_INDEX',
  'DROP_TABLE',
  'DROP_TEMP_INDEX',
  'DROP_TEMP_TABLE',
  'DROP_TEMP_TRIGGER',
  'DROP_TEMP_VIEW',
  'DROP_TRIGGER',
  'DROP_VIEW',
  'INSERT',
  'PRAGMA',
  'READ',
  'SELECT',
  'TRANSACTION',
  'UPDATE',
  'ATTACH',
  'DETACH',
  'ALTER_TABLE',
  'REINDEX',
  'ANALYZE',
  'CREATE_VTABLE',
  'DROP_VTABLE',
  'FUNCTION',
  'SAVEPOINT',
  'RECURSIVE',
] as const;

/** One SQLite authorizer action, by its name without the `SQLITE_` prefix. */
export type AuthorizerAction = (typeof AUTHORIZER_ACTIONS)[number];

/**
 * Named groups of actions: `write` is every data change (`INSERT`, `UPDATE`, `DELETE`); `schema` is every
 * schema change (`CREATE_*`, `DROP_*`, `ALTER_TABLE`, `REINDEX`, `ANALYZE`). Creating a table also inserts into
 * `sqlite_schema`, so denying `write` denies DDL as well.
 */
export const AUTHORIZER_GROUPS = {
  write: ['INSERT', 'UPDATE', 'DELETE'],
  schema: [
    'CREATE_INDEX',
    'CREATE_TABLE',
    'CREATE_TEMP_INDEX',
    'CREATE_TEMP_TABLE',
    'CREATE_TEMP_TRIGGER',
    'CREATE_TEMP_VIEW',
    'CREATE_TRIGGER',
    'CREATE_VIEW',
    'DROP_INDEX',
    'DROP_TABLE',
    'DROP_TEMP_INDEX',
    'DROP_TEMP_TABLE',
    'DROP_TEMP_TRIGGER',
    'DROP_TEMP_VIEW',
    'DROP_TRIGGER',
    'DROP_VIEW',
    'ALTER_TABLE',
    'REINDEX',
    'ANALYZE',
    'CREATE_VTABLE',
    'DROP_VTABLE',
  ],
} as const satisfies Record<string, readonly AuthorizerAction[]>;

/** The name of a group of authorizer actions. */
export type AuthorizerGroup = keyof typeof AUTHORIZER_GROUPS;

/**
 * Pragmas that never change anything whatever their argument, so `allowPragmas` permits them with an argument
 * (`PRAGMA table_info(users)`). Any other allowed pragma is permitted only in its query form, without an
 * argument: `PRAGMA user_version` reads, `PRAGMA user_version = 3` stays denied.
 */
export const READ_ONLY_PRAGMAS = [
  'collation_list',
  'compile_options',
  'data_version',
  'database_list',
  'foreign_key_check',
  'foreign_key_list',
  'freelist_count',
  'function_list',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'module_list',
  'page_count',
  'pragma_list',
  'quick_check',
  'table_info',
  'table_list',
  'table_xinfo',
] as const;

/**
 * What the native companion's authorizer refuses on one connection. Rules are plain data, so they can be sent to
 * a worker thread. A refused statement fails to prepare with SQLite's code `SQLITE_AUTH`.
 *
 * @example
 * ```ts
 * const readOnlyReports: AuthorizerRules = {
 *   deny: ['write', 'schema', 'ATTACH', 'DETACH', 'PRAGMA'],
 *   denyTables: ['api_keys'],
 *   allowPragmas: ['table_info', 'user_version'],
 * };
 * ```
 */
export interface AuthorizerRules {
  /** Actions (or groups of actions) to refuse. */
  readonly deny?: readonly (AuthorizerAction | AuthorizerGroup)[];
  /**
   * Tables no statement may touch in any way (read, write, index, trigger, alter, drop), in any schema, matched
   * without regard to ASCII case. Reading through a view or a trigger that uses such a table is refused too.
   */
  readonly denyTables?: readonly string[];
  /**
   * Pragmas to permit even when `PRAGMA` is denied: those of {@link READ_ONLY_PRAGMAS} with or without an
   * argument, any other only without one (its read form).
   */
  readonly allowPragmas?: readonly string[];
}

/** {@link AuthorizerRules} in the shape the native companion takes. */
export interface CompiledAuthorizerRules {
  /** Bit `n` set: SQLite action code `n` is denied. Below 2^34, exact as a number. */
  readonly denyMask: number;
  readonly denyTables: readonly string[];
  /** Allowed pragmas, with or without an argument. */
  readonly pragmasAnyArg: readonly string[];
  /** Allowed pragmas, only without an argument. */
  readonly pragmasNoArg: readonly string[];
}

const actionCodes: ReadonlyMap<string, number> = new Map(AUTHORIZER_ACTIONS.map((name, index) => [name, index + 1]));
const readOnlyPragmas: ReadonlySet<string> = new Set(READ_ONLY_PRAGMAS);

function invalid(message: string): RapsqliteError {
  return new RapsqliteError(ErrorCodes.INVALID_ARGUMENT, message);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`authorizer rules: ${what} must be an array of strings`);
  return value.map((item: unknown) => {
    if (typeof item !== 'string' || item.length === 0 || item.includes('\0')) {
      throw invalid(`authorizer rules: ${what} must contain non-empty strings`);
    }
    return item;
  });
}

/**
 * Validates authorizer rules and translates them for the native companion: action names become a bitmask of
 * SQLite action codes, allowed pragmas are split by whether they may take an argument.
 *
 * @throws RapsqliteError `ERR_RAPSQLITE_INVALID_ARGUMENT` for an unknown action or a malformed list.
 */
export function compileAuthorizerRules(rules: AuthorizerRules): CompiledAuthorizerRules {
  if (typeof rules !== 'object' || rules === null) throw invalid('authorizer rules must be an object');
  let denyMask = 0;
  for (const name of stringList(rules.deny, 'deny')) {
    const group: readonly AuthorizerAction[] | undefined = Object.hasOwn(AUTHORIZER_GROUPS, name)
      ? AUTHORIZER_GROUPS[name as AuthorizerGroup]
      : undefined;
    for (const action of group ?? [name]) {
      const code = actionCodes.get(action);
      if (code === undefined) throw invalid(`authorizer rules: unknown action "${action}"`);
      // Bitwise operators stop at 32 bits and codes reach 33: add powers of two, once each.
      const bit = 2 ** code;
      if (Math.floor(denyMask / bit) % 2 === 0) denyMask += bit;
    }
  }
  const pragmasAnyArg: string[] = [];
  const pragmasNoArg: string[] = [];
  for (const pragma of stringList(rules.allowPragmas, 'allowPragmas')) {
    (readOnlyPragmas.has(pragma.toLowerCase()) ? pragmasAnyArg : pragmasNoArg).push(pragma);
  }
  return Object.freeze({
    denyMask,
    denyTables: Object.freeze(stringList(rules.denyTables, 'denyTables')),
    pragmasAnyArg: Object.freeze(pragmasAnyArg),
    pragmasNoArg: Object.freeze(pragmasNoArg),
  });
}
