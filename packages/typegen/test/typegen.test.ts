import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Database } from '@rapsqlite/engine';
import { readSchema } from '@rapsqlite/migrate';
import { columnType, detectIntegerMode, generateTypes } from '../src/index.ts';
import { openTemp, tempDir } from './helpers.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const NODE_MODULES = dirname(dirname(require.resolve('typescript/package.json')));

const SCHEMA = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name VARCHAR(80),
  active BOOLEAN NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  balance NUMERIC,
  avatar BLOB,
  anything,
  email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  title TEXT NOT NULL,
  views INT NOT NULL DEFAULT 0,
  score REAL
) STRICT;
CREATE TABLE tags (name TEXT PRIMARY KEY, "weird name" ANY, "it's" INTEGER) STRICT, WITHOUT ROWID;
CREATE VIEW post_titles AS SELECT p.id, p.title, u.email FROM posts p JOIN users u ON u.id = p.user_id;
`;

async function seeded(options?: Parameters<typeof openTemp>[0]): Promise<Database> {
  const db = await openTemp(options);
  await db.exec(SCHEMA);
  await db.run("INSERT INTO users (email, name, balance, avatar, anything) VALUES ('A@x.org', 'Ada', 12.5, x'0102', 'text')");
  await db.run("INSERT INTO posts (user_id, title, score) VALUES (1, 'Hello', 4.5)");
  await db.run("INSERT INTO tags VALUES ('t', 'any', 3)");
  return db;
}

/** Compiles files with tsc (strict, the repository's TypeScript), resolving kysely and Node's types from the workspace. */
async function compile(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = tempDir();
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(NODE_MODULES, 'kysely'), join(dir, 'node_modules', 'kysely'));
  symlinkSync(join(NODE_MODULES, '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', exactOptionalPropertyTypes: true, allowImportingTsExtensions: true, types: ['node'], skipLibCheck: true },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const { stdout } = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]);
    return { code: 0, output: stdout };
  } catch (error) {
    return { code: (error as { code: number }).code, output: (error as { stdout: string }).stdout };
  }
}

describe('generateTypes', () => {
  it('writes row and insert types: declared and STRICT types mapped, nullability, defaults, generated columns', async () => {
    const db = await seeded();
    const text = await generateTypes(db);
    expect(text).toContain("// Integers are typed for integers: 'number'.");
    const block = (name: string) => text.slice(text.indexOf(`export interface ${name} {`), text.indexOf('}', text.indexOf(`export interface ${name} {`)) + 1).replace(/ *\/\*\*.*\*\/\n/g, '');
    expect(block('UsersRow')).toBe(`export interface UsersRow {
  id: number;
  email: string;
  name: string | null;
  active: number;
  created_at: string;
  balance: number | null;
  avatar: Buffer | null;
  anything: number | string | Buffer | null;
  email_lower: string | null;
}`);
    expect(block('UsersInsert')).toBe(`export interface UsersInsert {
  id?: number;
  email: string;
  name?: string | null;
  active?: number;
  created_at?: string;
  balance?: number | null;
  avatar?: Buffer | null;
  anything?: number | string | Buffer | null;
}`);
    expect(block('PostsInsert')).toContain('  user_id: number;\n  title: string;\n  views?: number;\n  score?: number | null;');
    expect(block('TagsRow')).toBe(`export interface TagsRow {
  name: string;
  'weird name': number | string | Buffer | null;
  'it\\'s': number | null;
}`);
    expect(block('PostTitlesRow')).toBe(`export interface PostTitlesRow {
  id: number | null;
  title: string | null;
  email: string | null;
}`);
    expect(text).not.toContain('PostTitlesInsert');
  });

  it('detects the integer mode of the handle, or takes it as an option', async () => {
    for (const [mode, expected] of [
      ['number', 'number'],
      ['bigint', 'bigint'],
      ['auto', 'number | bigint'],
    ] as const) {
      const db = await seeded({ integers: mode });
      expect(await detectIntegerMode(db)).toBe(mode);
      expect(await generateTypes(db)).toContain(`  id: ${expected};\n`);
    }
    const db = await seeded();
    expect(await generateTypes(db, { integers: 'bigint' })).toContain('  views: bigint;\n');
    await expect(generateTypes(db, { integers: 'big' as never })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
    await expect(generateTypes(db, { kysley: true } as never)).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('describes what rapsqlite returns: every value read has a type the generated type allows', async () => {
    for (const integers of ['number', 'bigint', 'auto'] as const) {
      const db = await seeded({ integers });
      if (integers !== 'number') await db.run("INSERT INTO tags VALUES ('big', 9223372036854775807, -9223372036854775808)");
      else await expect(db.get("SELECT 9223372036854775807 AS big")).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INTEGER_OVERFLOW' });
      const schema = await readSchema(db);
      for (const table of schema.tables) {
        const rows = await db.all<Record<string, unknown>>(`SELECT * FROM "${table.name}"`);
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) {
          for (const column of table.columns) {
            const value = row[column.name];
            const allowed = columnType(column, table.strict, integers).split(' | ');
            const actual = value === null ? 'null' : Buffer.isBuffer(value) ? 'Buffer' : typeof value;
            if (actual === 'null') expect(column.notNull, `${table.name}.${column.name}`).toBe(false);
            else expect(allowed, `${table.name}.${column.name} = ${String(value)}`).toContain(actual);
          }
        }
      }
    }
  });

  it('compiles with tsc, and the Kysely DB shape types queries and inserts', async () => {
    const db = await seeded();
    const types = await generateTypes(db, { kysely: true, columnTypes: { 'users.anything': 'Json' }, header: "import type { Json } from './json.ts';" });
    const { code, output } = await compile({
      'json.ts': 'export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };',
      'types.ts': types,
      'use.ts': `import type { Kysely, Selectable } from 'kysely';
import type { DB, UsersInsert, UsersRow, PostsTable } from './types.ts';

declare const db: Kysely<DB>;
export async function use(): Promise<void> {
  const user = await db.selectFrom('users').select(['id', 'email', 'anything']).where('id', '=', 1).executeTakeFirstOrThrow();
  const id: number = user.id;
  const email: string = user.email;
  void [id, email];
  await db.insertInto('users').values({ email: 'b@x.org' }).execute();
  await db.insertInto('posts').values({ user_id: 1, title: 't' }).execute();
  // @ts-expect-error title is NOT NULL without a default
  await db.insertInto('posts').values({ user_id: 1 }).execute();
  // @ts-expect-error a generated column cannot be written
  await db.insertInto('users').values({ email: 'c', email_lower: 'c' }).execute();
  const titles = await db.selectFrom('post_titles').select('title').execute();
  const first: string | null | undefined = titles[0]?.title;
  void first;
}
const row: UsersRow = { id: 1, email: 'a', name: null, active: 1, created_at: '2026-01-01 00:00:00', balance: null, avatar: Buffer.from([1]), anything: { a: [1] }, email_lower: 'a' };
const insert: UsersInsert = { email: 'a' };
// @ts-expect-error email is required
const missing: UsersInsert = { name: 'x' };
// @ts-expect-error a Buffer column takes no string
const wrong: UsersInsert = { email: 'a', avatar: 'not bytes' };
const post: Selectable<PostsTable> = { id: 1, user_id: 1, title: 't', views: 0, score: null };
void [row, insert, missing, wrong, post];
`,
    });
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('makes names unique and valid identifiers', async () => {
    const db = await openTemp();
    await db.exec('CREATE TABLE "order items" (x); CREATE TABLE order_items (y); CREATE TABLE "2024" (z);');
    const text = await generateTypes(db, { kysely: true });
    expect(text).toContain('export interface OrderItemsRow {');
    expect(text).toContain('export interface OrderItems2Row {');
    expect(text).toContain('export interface T2024Row {');
    expect(text).toContain("  'order items': OrderItemsTable;");
    expect((await compile({ 'types.ts': text })).code).toBe(0);
  });
});
