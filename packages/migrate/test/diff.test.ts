import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyScript, check, createMigration, createMigrator, diff, MigrateErrorCodes, readSchema } from '../src/index.ts';
import { expectSameSchema } from './schema-helpers.ts';
import { openTemp, rejectsWithCode, tempDir } from './helpers.ts';

async function pair(from: string, to: string) {
  const a = await openTemp();
  const b = await openTemp();
  await a.exec(from);
  await b.exec(to);
  return { a, b };
}

describe('diff', () => {
  it('finds nothing between equal schemas written differently', async () => {
    const { a, b } = await pair(
      'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX users_name ON users (name);',
      'create table "USERS" ( id integer primary key , -- the key\n name text not null ); CREATE INDEX "users_name" ON users(name);',
    );
    const result = await diff(a, b);
    expect(result).toEqual({ sql: '', statements: [], changes: [], warnings: [], empty: true });
  });

  it('adds a column with ALTER TABLE when SQLite allows it', async () => {
    const { a, b } = await pair('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, UNIQUE (a)); INSERT INTO t VALUES (1, \'x\');', "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 7 CHECK (b > 0), UNIQUE (a));");
    const result = await diff(a, b);
    expect(result.statements).toEqual(['ALTER TABLE "t" ADD COLUMN b INTEGER NOT NULL DEFAULT 7 CHECK (b > 0)']);
    expect(result.changes).toEqual([{ kind: 'add-column', name: 't.b' }]);
    await applyScript(a, result.sql);
    await expectSameSchema(a, b);
    expect(await a.all('SELECT * FROM t')).toEqual([{ id: 1, a: 'x', b: 7 }]);
  });

  it.each([
    ['a UNIQUE column', 'c TEXT UNIQUE'],
    ['a NOT NULL column without a default', 'c TEXT NOT NULL'],
    ['a column defaulting to CURRENT_TIMESTAMP', 'c TEXT DEFAULT CURRENT_TIMESTAMP'],
    ['a STORED generated column', 'c INTEGER GENERATED ALWAYS AS (id * 2) STORED'],
  ])('rebuilds the table to add %s, keeping rows and rowids', async (_what, column) => {
    const { a, b } = await pair(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (5, 'x'), (9, 'y');",
      `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, ${column});`,
    );
    const result = await diff(a, b);
    expect(result.changes.map((c) => c.kind)).toEqual(['rebuild-table']);
    if (column.includes('NOT NULL')) {
      expect(result.warnings).toEqual(['t.c is new, NOT NULL and has no default: the copy fails if t has rows.']);
      await rejectsWithCode(applyScript(a, result.sql), 'SQLITE_CONSTRAINT_NOTNULL');
      expect(await a.all('SELECT * FROM t')).toEqual([{ id: 5, v: 'x' }, { id: 9, v: 'y' }]);
      return;
    }
    await applyScript(a, result.sql);
    await expectSameSchema(a, b);
    expect(await a.all('SELECT id, v FROM t ORDER BY id')).toEqual([{ id: 5, v: 'x' }, { id: 9, v: 'y' }]);
  });

  it('rebuilds a parent table without cascading into its children, recreating indexes, triggers and views', async () => {
    const common = `CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
      CREATE INDEX child_parent ON child (parent_id);
      CREATE TABLE log (msg TEXT);`;
    const { a, b } = await pair(
      `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, legacy BLOB); ${common}
       CREATE INDEX parent_name ON parent (name);
       CREATE VIEW names AS SELECT p.name, count(c.id) AS n FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id;
       CREATE TRIGGER parent_log AFTER INSERT ON parent BEGIN INSERT INTO log VALUES (new.name); END;
       INSERT INTO parent VALUES (1, 'a', x'01'), (2, 'b', NULL); INSERT INTO child VALUES (10, 1), (11, 2);`,
      `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '' COLLATE NOCASE); ${common}
       CREATE UNIQUE INDEX parent_name ON parent (name);
       CREATE VIEW names AS SELECT p.name, count(c.id) AS n FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id;
       CREATE TRIGGER parent_log AFTER INSERT ON parent BEGIN INSERT INTO log VALUES ('parent ' || new.name); END;`,
    );
    const result = await diff(a, b);
    expect(result.changes).toContainEqual({ kind: 'rebuild-table', name: 'parent', reason: 'column(s) legacy dropped' });
    expect(result.warnings).toEqual(['parent.legacy is dropped: its values are lost.']);
    expect(result.statements[0]).toBe('PRAGMA foreign_keys = OFF');
    expect(result.statements.at(-1)).toBe('PRAGMA foreign_keys = ON');
    await applyScript(a, result.sql);
    await expectSameSchema(a, b);
    expect(await a.all('SELECT * FROM parent ORDER BY id')).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    expect(await a.all('SELECT * FROM child ORDER BY id')).toEqual([{ id: 10, parent_id: 1 }, { id: 11, parent_id: 2 }]);
    expect(await a.all('SELECT * FROM names ORDER BY name')).toEqual([{ name: 'a', n: 1 }, { name: 'b', n: 1 }]);
    await a.run("INSERT INTO parent (name) VALUES ('c')");
    expect(await a.all('SELECT msg FROM log')).toEqual([{ msg: 'a' }, { msg: 'b' }, { msg: 'parent c' }]);
    expect(await a.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 });
    await rejectsWithCode(a.run("INSERT INTO parent (name) VALUES ('A')"), 'SQLITE_CONSTRAINT_UNIQUE');
  });

  it('switches STRICT and WITHOUT ROWID by rebuilding, and keeps big integers and blobs exact', async () => {
    const { a, b } = await pair(
      "CREATE TABLE kv (k TEXT PRIMARY KEY, n INTEGER, b BLOB); INSERT INTO kv VALUES ('a', 9223372036854775807, x'deadbeef'), ('b', -9223372036854775808, NULL);",
      'CREATE TABLE kv (k TEXT PRIMARY KEY NOT NULL, n INTEGER, b BLOB) STRICT, WITHOUT ROWID;',
    );
    const result = await diff(a, b);
    expect(result.changes).toEqual([{ kind: 'rebuild-table', name: 'kv', reason: 'table options (STRICT, WITHOUT ROWID) changed' }]);
    await applyScript(a, result.sql);
    await expectSameSchema(a, b);
    expect(await a.all('SELECT * FROM kv ORDER BY k', [], { integers: 'bigint' })).toEqual([
      { k: 'a', n: 9223372036854775807n, b: Buffer.from('deadbeef', 'hex') },
      { k: 'b', n: -9223372036854775808n, b: null },
    ]);
  });

  it('keeps the AUTOINCREMENT high-water mark through a rebuild', async () => {
    const { a, b } = await pair(
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT); INSERT INTO t (v) VALUES (1), (2), (3); DELETE FROM t WHERE id = 3;',
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL DEFAULT \'\');',
    );
    await applyScript(a, (await diff(a, b)).sql);
    const { lastInsertRowid } = await a.run("INSERT INTO t (v) VALUES ('next')");
    expect(lastInsertRowid).toBe(4);
  });

  it('creates, drops and changes tables, indexes, views and triggers', async () => {
    const { a, b } = await pair(
      `CREATE TABLE gone (x); CREATE TABLE stay (x, y); CREATE INDEX stay_x ON stay (x); CREATE INDEX stay_y ON stay (y);
       CREATE VIEW v AS SELECT x FROM stay; CREATE TRIGGER tr AFTER DELETE ON stay BEGIN SELECT 1; END;`,
      `CREATE TABLE stay (x, y); CREATE INDEX stay_x ON stay (x DESC); CREATE INDEX stay_xy ON stay (x, y) WHERE x > 0;
       CREATE TABLE fresh (id INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT x, y FROM stay;`,
    );
    const result = await diff(a, b);
    expect(result.changes.map((c) => `${c.kind} ${c.name}`).sort()).toEqual(
      ['create-index stay_x', 'create-index stay_xy', 'create-table fresh', 'create-view v', 'drop-index stay_x', 'drop-index stay_y', 'drop-table gone', 'drop-trigger tr', 'drop-view v'].sort(),
    );
    expect(result.warnings).toEqual(['Table gone is dropped with its rows.']);
    await applyScript(a, result.sql);
    await expectSameSchema(a, b);
  });

  it('compares a database with a schema file and with a database file, and writes the diff as a migration', async () => {
    const dir = tempDir();
    const schemaFile = join(dir, 'schema.sql');
    writeFileSync(schemaFile, 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, created TEXT);\nCREATE INDEX users_created ON users (created);\n');
    const db = await openTemp();
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@x');");
    const changes = await diff(db, schemaFile);
    const reverse = await diff(schemaFile, db);
    const migrations = join(dir, 'migrations');
    await createMigration(migrations, 'sync', { up: changes.sql, down: reverse.sql, numbering: 'number' });
    const migrator = createMigrator(db, { dir: migrations });
    await migrator.up();
    expect((await check(db, schemaFile)).ok).toBe(true);
    expect(await db.all('SELECT id, email FROM users')).toEqual([{ id: 1, email: 'a@x' }]);
    await migrator.down();
    expect((await check(db, schemaFile)).ok).toBe(false);

    const other = join(dir, 'other.db');
    const file = await openTemp(undefined, other);
    await file.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)');
    expect((await diff(db, other)).empty).toBe(true);
    expect((await diff({ sql: 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)' }, db)).empty).toBe(true);
  });

  it('reads schemas the same whatever the integer mode of the handle', async () => {
    const schema = 'CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES p(id)); CREATE UNIQUE INDEX c_p ON c (p_id);';
    const plain = await openTemp();
    const big = await openTemp({ integers: 'bigint' });
    await plain.exec(schema);
    await big.exec(schema);
    expect(await readSchema(big)).toEqual(await readSchema(plain));
    expect((await diff(big, plain)).empty).toBe(true);
    expect((await check(big, plain)).ok).toBe(true);
  });

  it('refuses a missing file, a file that is not a schema, and bad arguments', async () => {
    const db = await openTemp();
    await rejectsWithCode(diff(db, join(tempDir(), 'nope.sql')), MigrateErrorCodes.SCHEMA_SOURCE);
    const bad = join(tempDir(), 'bad.sql');
    writeFileSync(bad, 'CREATE TABLE (;');
    const error = await rejectsWithCode<{ cause: { code: string } }>(diff(db, bad), MigrateErrorCodes.SCHEMA_SOURCE);
    expect(error.cause.code).toBe('SQLITE_ERROR');
    await rejectsWithCode(diff(db, 42 as never), 'ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});

describe('check', () => {
  it('lists every difference between a live database and the expected schema', async () => {
    const { a, b } = await pair(
      `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age REAL DEFAULT 1, extra TEXT, code TEXT);
       CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);
       CREATE TABLE surplus (x);
       CREATE INDEX users_name ON users (name);
       CREATE INDEX users_extra ON users (extra);
       CREATE VIEW v AS SELECT 1;
       CREATE TRIGGER t1 AFTER INSERT ON users BEGIN SELECT 1; END;`,
      `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER DEFAULT 0, email TEXT, code TEXT UNIQUE) STRICT;
       CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE);
       CREATE TABLE missing (x);
       CREATE INDEX users_name ON users (name DESC);
       CREATE INDEX users_age ON users (age);
       CREATE VIEW v AS SELECT 2;
       CREATE VIEW w AS SELECT 3;`,
    );
    const { ok, differences } = await check(a, b);
    expect(ok).toBe(false);
    expect(differences.map((d) => `${d.kind} ${d.object}`)).toEqual([
      'table-options users',
      'column-not-null users.name',
      'column-type users.age',
      'column-default users.age',
      'missing-column users.email',
      'extra-column users.extra',
      'missing-unique users',
      'missing-index users_age',
      'index-definition users_name',
      'extra-index users_extra',
      'missing-foreign-key posts',
      'missing-table missing',
      'extra-table surplus',
      'view-definition v',
      'missing-view w',
      'extra-trigger t1',
    ]);
    for (const d of differences) expect(d.message).toMatch(/\S/);
  });

  it('reports a CHECK constraint difference that the pragmas cannot see', async () => {
    const { a, b } = await pair('CREATE TABLE t (x INTEGER CHECK (x > 0))', 'CREATE TABLE t (x INTEGER CHECK (x > 1))');
    expect((await check(a, b)).differences.map((d) => d.kind)).toEqual(['table-definition']);
  });
});
