import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { rapsqlite, shop } from './cli-helpers.ts';
import { tempDir } from './helpers.ts';

const COMMANDS = ['info', 'schema', 'typegen', 'migrate', 'migrate status', 'migrate up', 'migrate down', 'migrate redo', 'migrate create', 'diff', 'check', 'dump', 'restore', 'backup', 'explain', 'query', 'bench', 'vacuum', 'optimize'];

describe('the command line', () => {
  it('has --help on every command, exit code 0', async () => {
    const dir = tempDir();
    const top = await rapsqlite(['--help'], dir);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Exit codes:');
    expect(top.stdout).toContain('  6  refused to overwrite');
    expect(top.stdout).toContain('  130  interrupted (Ctrl-C)');
    for (const command of COMMANDS.filter((c) => !c.includes(' '))) expect(top.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    // Four at a time, to keep the test short without crowding the machine.
    for (let i = 0; i < COMMANDS.length; i += 4) {
      const batch = COMMANDS.slice(i, i + 4);
      const results = await Promise.all(batch.map((command) => rapsqlite([...command.split(' '), '--help'], dir)));
      results.forEach(({ code, stdout }, j) => {
        expect(code, batch[j]).toBe(0);
        expect(stdout).toContain(`Usage: rapsqlite ${batch[j]!}`);
      });
    }
  }, 60_000);

  it('refuses an unknown command or option and no arguments with exit 2 and a message on stderr', async () => {
    const { dir, db } = await shop();
    const before = readdirSync(dir).sort();
    for (const args of [['frobnicate'], ['info', db, '--frobnicate'], ['info'], [], ['typegen', db, '--integers', 'huge'], ['migrate', 'down', db, '--steps', 'x']]) {
      const { code, stderr, stdout } = await rapsqlite(args, dir);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/\S/);
      if (args.length > 0) expect(stdout).toBe('');
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  }, 60_000);

  it('reports a missing file with exit 3 and creates nothing', async () => {
    const dir = tempDir();
    for (const args of [['info', 'missing.db'], ['query', 'missing.db', 'SELECT 1'], ['check', 'missing.db'], ['diff', 'missing.db', 'other.sql'], ['migrate', 'status', 'missing.db', '--dir', '.'], ['migrate', 'up', 'app.db', '--dir', 'no-such-folder']]) {
      const { code, stderr } = await rapsqlite(args, dir);
      expect(code, args.join(' ')).toBe(3);
      expect(stderr).toContain('rapsqlite: No such');
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});

describe('info, schema, typegen', () => {
  it('info prints sizes, pragmas and row counts; --json gives the same as data', async () => {
    const { dir, db } = await shop();
    const text = await rapsqlite(['info', db], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/journal mode\s+wal/);
    expect(text.stdout).toMatch(/orders\s+3\n/);
    const json = await rapsqlite(['info', db, '--json'], dir);
    const info = JSON.parse(json.stdout) as { pageSize: number; tables: { name: string; rows: number }[]; fileSize: number };
    expect(info.pageSize).toBe(4096);
    expect(info.fileSize).toBe(statSync(db).size);
    expect(info.tables).toEqual([{ name: 'orders', rows: 3 }, { name: 'users', rows: 2 }]);
  });

  it('schema prints the introspection pretty, as JSON, or as SQL', async () => {
    const { dir, db } = await shop();
    const pretty = await rapsqlite(['schema', db], dir);
    expect(pretty.stdout).toContain('table orders\n  id INTEGER  primary key\n  user_id INTEGER  not null\n');
    expect(pretty.stdout).toContain('  foreign key (user_id) → users(id)');
    expect(pretty.stdout).toContain('  index orders_user (user_id)');
    expect(pretty.stdout).toContain('view big_spenders (email)');
    const json = JSON.parse((await rapsqlite(['schema', db, '--json'], dir)).stdout) as { tables: { name: string }[] };
    expect(json.tables.map((t) => t.name)).toEqual(['users', 'orders']);
    const sql = (await rapsqlite(['schema', db, '--sql'], dir)).stdout;
    const copy = await open(':memory:');
    await copy.exec(sql);
    expect((await copy.all("SELECT name FROM sqlite_schema ORDER BY name")).map((r) => r['name'])).toEqual(['big_spenders', 'orders', 'orders_user', 'sqlite_autoindex_users_1', 'users']);
    await copy.close();
  });

  it('typegen prints types, or writes them with --out', async () => {
    const { dir, db } = await shop();
    const out = await rapsqlite(['typegen', db, '--integers', 'bigint', '--kysely'], dir);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('export interface UsersRow {');
    expect(out.stdout).toContain('  balance: bigint | null;');
    expect(out.stdout).toContain('export interface DB {');
    const file = await rapsqlite(['typegen', db, '--out', 'db-types.ts'], dir);
    expect(file.stdout).toBe('');
    expect(readFileSync(join(dir, 'db-types.ts'), 'utf8')).toContain('  balance: number | null;');
  });
});
