import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { MigrateError, MigrateErrorCodes, invalidArgument } from '../errors.ts';
import { checksumOf } from './checksum.ts';
import type { Migration, MigrationBody, MigrationDefinition } from './migration.ts';
import { parseSqlFile, parseSqlitePackageFile } from './parse-sql-file.ts';

/** File layouts a migrations folder can have. */
export const MIGRATION_LAYOUTS = ['rapsqlite', 'sqlite'] as const;

/**
 * `'rapsqlite'`: `NNN_name.sql` with `-- up`/`-- down` sections, or `NNN_name.up.sql` + `NNN_name.down.sql`, or a
 * `NNN_name.{js,mjs,cjs,ts,mts,cts}` module. `'sqlite'`: the layout of the `sqlite` package's `migrate()`
 * (`NNN-name.sql`, split at the first `-- Down` line).
 */
export type MigrationLayout = (typeof MIGRATION_LAYOUTS)[number];

const MODULE_EXTENSIONS = new Set(['js', 'mjs', 'cjs', 'ts', 'mts', 'cts']);
const RAPSQLITE_NAME = /^(\d+)[._-](.+?)(?:\.(up|down))?\.(sql|js|mjs|cjs|ts|mts|cts)$/;
const SQLITE_NAME = /^(\d+).(.*?)\.sql$/;

interface Pair {
  version: bigint;
  up?: string;
  down?: string;
  single?: string;
}

function sortAndCheck(migrations: Migration[]): Migration[] {
  migrations.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < migrations.length; i++) {
    const previous = migrations[i - 1]!;
    const current = migrations[i]!;
    if (previous.version === current.version) {
      throw new MigrateError(MigrateErrorCodes.DUPLICATE, `Migrations ${previous.name} and ${current.name} share the version ${current.version}; renumber one.`, { migration: current.name });
    }
  }
  return migrations;
}

function sqlBody(sql: string, transactional: boolean): MigrationBody {
  return { kind: 'sql', sql, transactional };
}

/** Reads every migration of a folder, in version order. */
export async function loadMigrations(dir: string, layout: MigrationLayout = 'rapsqlite'): Promise<Migration[]> {
  const folder = resolve(dir);
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `The migrations folder ${folder} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: error });
  }
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
  return layout === 'sqlite' ? loadSqliteLayout(folder, files) : loadRapsqliteLayout(folder, files);
}

async function loadRapsqliteLayout(folder: string, files: readonly string[]): Promise<Migration[]> {
  const pairs = new Map<string, Pair>();
  for (const file of files) {
    if (file.endsWith('.d.ts') || file.endsWith('.d.mts') || file.endsWith('.d.cts')) continue;
    const extension = file.slice(file.lastIndexOf('.') + 1);
    const match = RAPSQLITE_NAME.exec(file);
    if (match === null) {
      // Helpers beside module migrations are fine; an .sql file that is not named as a migration is a mistake.
      if (extension === 'sql') {
        throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: a migration file is named <number>_<name>.sql (for example 0001_create_users.sql).`);
      }
      continue;
    }
    const [, digits, rest, side, ext] = match as unknown as [string, string, string, 'up' | 'down' | undefined, string];
    if (side !== undefined && MODULE_EXTENSIONS.has(ext)) {
      throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${file}: a module migration exports both up and down; .up/.down pairs are for .sql files.`);
    }
    const name = `${digits}${file[digits.length]}${rest}`;
    const pair = pairs.get(name) ?? { version: BigInt(digits) };
    pairs.set(name, pair);
    const slot = side ?? 'single';
    if (pair[slot] !== undefined || (slot === 'single' && (pair.up ?? pair.down) !== undefined) || (slot !== 'single' && pair.single !== undefined)) {
      throw new MigrateError(MigrateErrorCodes.DUPLICATE, `Migration ${name} is defined by more than one file (${file}).`, { migration: name });
    }
    pair[slot] = file;
  }
  const migrations: Migration[] = [];
  for (const [name, pair] of pairs) {
    if (pair.single !== undefined && MODULE_EXTENSIONS.has(pair.single.slice(pair.single.lastIndexOf('.') + 1))) {
      const path = join(folder, pair.single);
      migrations.push({ name, version: pair.version, checksum: checksumOf(await readFile(path)), path, up: { kind: 'module', path }, down: { kind: 'module', path } });
      continue;
    }
    if (pair.single !== undefined) {
      const path = join(folder, pair.single);
      const parts = parseSqlFile(await readFile(path, 'utf8'), pair.single);
      migrations.push({
        name,
        version: pair.version,
        checksum: checksumOf(parts.up),
        path,
        up: sqlBody(parts.up, parts.upTransactional),
        down: parts.down === undefined ? undefined : sqlBody(parts.down, parts.downTransactional),
      });
      continue;
    }
    if (pair.up === undefined) throw new MigrateError(MigrateErrorCodes.INVALID_FILE, `${pair.down}: a .down.sql file without its .up.sql.`, { migration: name });
    const path = join(folder, pair.up);
    const up = parseSqlFile(await readFile(path, 'utf8'), pair.up, { allowMarkers: false });
    const down = pair.down === undefined ? undefined : parseSqlFile(await readFile(join(folder, pair.down), 'utf8'), pair.down, { allowMarkers: false });
    migrations.push({
      name,
      version: pair.version,
      checksum: checksumOf(up.up),
      path,
      up: sqlBody(up.up, up.upTransactional),
      down: down === undefined ? undefined : sqlBody(down.up, down.upTransactional),
    });
  }
  return sortAndCheck(migrations);
}

async function loadSqliteLayout(folder: string, files: readonly string[]): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = SQLITE_NAME.exec(file);
    if (match === null) continue;
    const path = join(folder, file);
    const parts = parseSqlitePackageFile(await readFile(path, 'utf8'), file);
    migrations.push({
      name: basename(file, '.sql'),
      version: BigInt(match[1]!),
      checksum: checksumOf(parts.up),
      path,
      up: sqlBody(parts.up, parts.upTransactional),
      down: sqlBody(parts.down ?? '', parts.downTransactional),
    });
  }
  return sortAndCheck(migrations);
}

/** Turns inline definitions into migrations, versioned by their position in the list. */
export function inlineMigrations(definitions: readonly MigrationDefinition[]): Migration[] {
  if (!Array.isArray(definitions)) throw invalidArgument('migrations must be an array of { name, up, down? }.');
  const seen = new Set<string>();
  return definitions.map((definition, index) => {
    if (typeof definition?.name !== 'string' || definition.name === '') throw invalidArgument(`migrations[${index}].name must be a non-empty string.`);
    if (seen.has(definition.name)) throw new MigrateError(MigrateErrorCodes.DUPLICATE, `Two inline migrations are named ${definition.name}.`, { migration: definition.name });
    seen.add(definition.name);
    const transactional = definition.transaction !== false;
    const body = (value: string | MigrationDefinition['up'], part: string): MigrationBody => {
      if (typeof value === 'string') return sqlBody(value.trim(), transactional);
      if (typeof value === 'function') return { kind: 'function', run: value, transactional };
      throw invalidArgument(`migrations[${index}].${part} must be SQL text or a function.`);
    };
    return {
      name: definition.name,
      version: BigInt(index + 1),
      checksum: typeof definition.up === 'string' ? checksumOf(definition.up) : null,
      path: undefined,
      up: body(definition.up, 'up'),
      down: definition.down === undefined ? undefined : body(definition.down, 'down'),
    };
  });
}
