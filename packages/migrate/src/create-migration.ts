import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { invalidArgument } from './errors.ts';
import type { MigrationLayout } from './source/load-migrations.ts';

/** How {@link createMigration} numbers a new file. */
export const MIGRATION_NUMBERING = ['auto', 'number', 'timestamp'] as const;

/**
 * `'number'`: one more than the highest existing number, zero-padded like them (4 digits at least); `'timestamp'`:
 * `YYYYMMDDHHMMSS` in UTC; `'auto'` (default): numbers when the folder already has numbered migrations, else
 * timestamps.
 */
export type MigrationNumbering = (typeof MIGRATION_NUMBERING)[number];

/** Options of {@link createMigration}. */
export interface CreateMigrationOptions {
  readonly numbering?: MigrationNumbering;
  /** `'sql'` (default), `'ts'` or `'js'` (a module with `up` and `down`). */
  readonly extension?: 'sql' | 'ts' | 'js';
  /** SQL for the `up` section (an SQL file only). */
  readonly up?: string;
  /** SQL for the `down` section (an SQL file only). */
  readonly down?: string;
  /** `'sqlite'` writes `NNN-name.sql` with `-- Up`/`-- Down`, as the `sqlite` package expects. Default `'rapsqlite'`. */
  readonly layout?: MigrationLayout;
  /** The clock, for tests. Default `new Date()`. */
  readonly now?: Date;
}

/** The file {@link createMigration} wrote. */
export interface CreatedMigration {
  readonly name: string;
  readonly version: bigint;
  readonly path: string;
}

function timestamp(date: Date): bigint {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return BigInt(`${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`);
}

const MODULE_TEMPLATE = (typed: boolean) => `${typed ? "import type { Queryable } from '@rapsqlite/engine';\n\n" : ''}export async function up(db${typed ? ': Queryable' : ''}) {
  await db.exec('');
}

export async function down(db${typed ? ': Queryable' : ''}) {
  await db.exec('');
}
`;

/**
 * Writes a new migration file and returns its name and path; never overwrites a file.
 *
 * @example
 * const { path } = await createMigration('migrations', 'add users email', { up: 'ALTER TABLE users ADD COLUMN email TEXT;' });
 */
export async function createMigration(dir: string, name: string, options: CreateMigrationOptions = {}): Promise<CreatedMigration> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir must be a folder path.');
  if (typeof name !== 'string') throw invalidArgument('name must be a string.');
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (slug === '') throw invalidArgument('name must contain letters or digits.');
  const numbering = options.numbering ?? 'auto';
  if (!(['auto', 'number', 'timestamp'] as const).includes(numbering)) throw invalidArgument(`numbering must be one of ${MIGRATION_NUMBERING.join(', ')}.`);
  const extension = options.extension ?? 'sql';
  if (!['sql', 'ts', 'js'].includes(extension)) throw invalidArgument("extension must be 'sql', 'ts' or 'js'.");
  if (extension !== 'sql' && (options.up !== undefined || options.down !== undefined)) throw invalidArgument('up and down text are for SQL files.');
  const layout = options.layout ?? 'rapsqlite';
  if (layout === 'sqlite' && extension !== 'sql') throw invalidArgument("The 'sqlite' layout has SQL files only.");

  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const existing = (await readdir(folder)).map((f) => /^(\d+)[._-]/.exec(f)?.[1]).filter((d): d is string => d !== undefined);
  const versions = existing.map((d) => BigInt(d));
  const highest = versions.reduce((a, b) => (b > a ? b : a), 0n);
  const numbered = existing.length > 0 && existing.every((d) => d.length < 14);
  const useNumbers = numbering === 'number' || (numbering === 'auto' && numbered);
  let version: bigint;
  let digits: string;
  if (useNumbers) {
    version = highest + 1n;
    const width = Math.max(layout === 'sqlite' ? 3 : 4, ...existing.map((d) => d.length));
    digits = String(version).padStart(width, '0');
  } else {
    version = timestamp(options.now ?? new Date());
    // Two files created in the same second still get distinct versions.
    if (version <= highest) version = highest + 1n;
    digits = String(version);
  }
  const separator = layout === 'sqlite' ? '-' : '_';
  const base = `${digits}${separator}${slug}`;
  const path = join(folder, `${base}.${extension}`);
  let text: string;
  if (extension !== 'sql') text = MODULE_TEMPLATE(extension === 'ts');
  else if (layout === 'sqlite') text = `-- Up\n${options.up ?? ''}\n\n-- Down\n${options.down ?? ''}\n`;
  else text = `-- up\n${options.up ?? ''}\n\n-- down\n${options.down ?? ''}\n`;
  await writeFile(path, text, { flag: 'wx' });
  return { name: base, version, path };
}
