import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { rapsqlite, rapsqliteInTerminal, shop } from './cli-helpers.ts';

/** The shop with 2000 orders: a full scan of orders is worth an index. */
async function bigShop(): Promise<{ dir: string; db: string }> {
  const { dir, db } = await shop();
  const handle = await open(db);
  await handle.exec("WITH RECURSIVE n(i) AS (SELECT 4 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO orders (id, user_id, note) SELECT i, 1 + i % 2, 'note ' || i FROM n");
  await handle.close();
  return { dir, db };
}

const ESC = '\u001b[';

describe('explain', () => {
  it('draws the plan as a tree with verified index advice; --exit-code gives 5 when there is advice', async () => {
    const { dir } = await bigShop();
    const [advice, noAdvice, join, unverified, belowThreshold] = await Promise.all([
      rapsqlite(['explain', 'shop.db', 'SELECT id FROM orders WHERE note = ?', '-p', 'note 7', '--exit-code'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT email FROM users WHERE id = 1', '--exit-code'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT u.email, o.note FROM users u JOIN orders o ON o.user_id = u.id ORDER BY o.note'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT * FROM orders WHERE note = ?', '--no-verify'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT * FROM orders WHERE note = 1', '--large-table-rows', '5000'], dir),
    ]);
    expect(advice.code).toBe(5);
    expect(advice.stderr).toBe('');
    expect(advice.stdout).toBe(
      [
        'QUERY PLAN',
        '└─ SCAN orders',
        '',
        'advice (1)',
        '! full scan: Full scan of orders (more than 1000 rows) to filter on note',
        '    CREATE INDEX "orders_note_idx" ON "orders" ("note");',
        '    verified: SQLite would use it; the plan with it:',
        '      └─ SEARCH orders USING COVERING INDEX orders_note_idx (note=?)',
        '',
      ].join('\n'),
    );
    expect(noAdvice).toMatchObject({ code: 0, stdout: 'QUERY PLAN\n└─ SEARCH users USING INTEGER PRIMARY KEY (rowid=?)\n\nno advice: nothing in this plan stands out\n' });
    expect(join.code).toBe(0);
    expect(join.stdout).toMatch(/^QUERY PLAN\n├─ SCAN o\n├─ SEARCH u USING INTEGER PRIMARY KEY \(rowid=\?\)\n└─ USE TEMP B-TREE FOR ORDER BY\n/);
    expect(join.stdout).toContain('! temporary b-tree: ');
    expect(unverified.stdout).toContain('    not verified (--no-verify)\n');
    expect(belowThreshold.stdout).toContain('no advice');
  }, 60_000);

  it('--json gives the plan, the findings and the verification as data', async () => {
    const { dir } = await bigShop();
    const { code, stdout } = await rapsqlite(['explain', 'shop.db', "SELECT * FROM orders WHERE note = 'x'", '--json'], dir);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      sql: string;
      plan: { detail: string; children: unknown[] }[];
      findings: { kind: string; table: string; proposal: { sql: string; columns: string[]; verification: { status: string; planAfter: { detail: string }[] } } }[];
    };
    expect(plan.sql).toBe("SELECT * FROM orders WHERE note = 'x'");
    expect(plan.plan.map((n) => n.detail)).toEqual(['SCAN orders']);
    expect(plan.findings).toHaveLength(1);
    expect(plan.findings[0]).toMatchObject({ kind: 'full-scan', table: 'orders', proposal: { columns: ['note'], verification: { status: 'improved' } } });
    expect(plan.findings[0]!.proposal.verification.planAfter[0]!.detail).toMatch(/^SEARCH orders USING INDEX orders_note_idx/);
  });

  it('never runs the statement, and never writes the file', async () => {
    const { dir, db } = await bigShop();
    const before = readFileSync(db);
    const { code, stdout } = await rapsqlite(['explain', 'shop.db', 'DELETE FROM orders'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^QUERY PLAN\n/);
    const handle = await open(db, { readonly: true });
    expect(await handle.get('SELECT count(*) AS n FROM orders')).toEqual({ n: 2000 });
    expect(await handle.all("SELECT name FROM sqlite_schema WHERE type = 'index'")).toEqual([{ name: 'sqlite_autoindex_users_1' }, { name: 'orders_user' }]);
    await handle.close();
    // The database file is as it was (a read-only reader of a WAL database leaves SQLite's -wal and -shm files).
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((name) => !/-(wal|shm)$/.test(name))).toEqual(['shop.db']);
  });

  it('reports a bad statement (1), a missing file (3) and a bad option (2)', async () => {
    const { dir } = await shop();
    const [syntax, missing, option, table] = await Promise.all([
      rapsqlite(['explain', 'shop.db', 'SELEC 1'], dir),
      rapsqlite(['explain', 'missing.db', 'SELECT 1'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT 1', '--large-table-rows', 'many'], dir),
      rapsqlite(['explain', 'shop.db', 'SELECT * FROM nope'], dir),
    ]);
    expect(syntax).toMatchObject({ code: 1, stdout: '' });
    expect(syntax.stderr).toMatch(/syntax error \[SQLITE_ERROR\]\n$/);
    expect(missing).toMatchObject({ code: 3, stdout: '' });
    expect(missing.stderr).toMatch(/No such database file: .*missing\.db \[ENOENT\]/);
    expect(option).toMatchObject({ code: 2, stdout: '' });
    expect(option.stderr).toContain('--large-table-rows must be a non-negative integer');
    expect(table).toMatchObject({ code: 1, stdout: '' });
    expect(table.stderr).toMatch(/no such table: nope \[SQLITE_ERROR\]/);
  });

  it('colours on a terminal and when asked; plain text through a pipe, with NO_COLOR or --no-color', async () => {
    const { dir } = await bigShop();
    const sql = "SELECT * FROM orders WHERE note = 'x'";
    const [terminal, noColorEnv, noColorFlag, piped, forced, forceEnv] = await Promise.all([
      rapsqliteInTerminal(['explain', 'shop.db', sql], dir),
      rapsqliteInTerminal(['explain', 'shop.db', sql], dir, { NO_COLOR: '1' }),
      rapsqliteInTerminal(['explain', 'shop.db', sql, '--no-color'], dir),
      rapsqlite(['explain', 'shop.db', sql], dir),
      rapsqlite(['explain', 'shop.db', sql, '--color'], dir),
      rapsqlite(['explain', 'shop.db', sql], dir, { FORCE_COLOR: '1' }),
    ]);
    // The finding's line in yellow, the verified plan's index search in green.
    expect(terminal.stdout).toContain(`${ESC}33mSCAN orders${ESC}39m`);
    expect(terminal.stdout).toContain(`${ESC}32mSEARCH orders USING INDEX orders_note_idx (note=?)${ESC}39m`);
    expect(forced.stdout).toContain(`${ESC}33mSCAN orders${ESC}39m`);
    expect(forceEnv.stdout).toContain(`${ESC}33mSCAN orders${ESC}39m`);
    for (const plain of [noColorEnv, noColorFlag, piped]) {
      expect(plain.stdout).toContain('SCAN orders');
      expect(plain.stdout).not.toContain(ESC);
    }
  }, 60_000);
});
