import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Database } from '@rapsqlite/engine';
import { applyScript, diff } from '../src/index.ts';
import { openTemp } from './helpers.ts';
import { expectSameSchema } from './schema-helpers.ts';

// Schema pairs are built from a seed by a small deterministic generator: fast-check picks the seeds (and reports
// the failing one), the generator keeps every pair valid (types, defaults, foreign keys, unique values).
// DIFF_SEED=<n> replays one seed, DIFF_DEBUG=1 prints its schemas, rows and diff, DIFF_RUNS=<n> runs more pairs.

type Family = 'integer' | 'text' | 'real' | 'blob';
const TYPES: Record<Family, readonly string[]> = {
  integer: ['INTEGER', 'INT', 'BIGINT'],
  text: ['TEXT', 'VARCHAR(20)', 'CLOB'],
  real: ['REAL', 'DOUBLE'],
  blob: ['BLOB'],
};
const STRICT_TYPE: Record<Family, string> = { integer: 'INTEGER', text: 'TEXT', real: 'REAL', blob: 'BLOB' };
const DEFAULTS: Record<Family, string> = { integer: '42', text: "'none'", real: '1.5', blob: "x'00'" };

interface Column {
  name: string;
  family: Family;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  unique: boolean;
  references: string | undefined;
  original: boolean;
}

interface Table {
  name: string;
  /** `alias`: `id INTEGER PRIMARY KEY`; `text`: `k TEXT PRIMARY KEY`; `none`: no declared key. */
  pk: 'alias' | 'text' | 'none';
  columns: Column[];
  strict: boolean;
  withoutRowid: boolean;
  check: boolean;
  indexes: { name: string; columns: string[]; unique: boolean }[];
  view: string[] | undefined;
  trigger: boolean;
}

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

const q = (name: string) => `"${name}"`;

function columnSql(c: Column, strict: boolean): string {
  const parts = [q(c.name), strict ? STRICT_TYPE[c.family] : c.type];
  if (c.notNull) parts.push('NOT NULL');
  if (c.hasDefault) parts.push(`DEFAULT ${DEFAULTS[c.family]}`);
  if (c.unique) parts.push('UNIQUE');
  if (c.references !== undefined) parts.push(`REFERENCES ${q(c.references)}(id) ON DELETE CASCADE`);
  return parts.join(' ');
}

function tableSql(t: Table): string {
  const items: string[] = [];
  if (t.pk === 'alias') items.push('"id" INTEGER PRIMARY KEY');
  if (t.pk === 'text') items.push('"k" TEXT PRIMARY KEY NOT NULL');
  items.push(...t.columns.map((c) => columnSql(c, t.strict)));
  if (t.check) items.push(`CHECK (length(${q(t.columns[0]?.name ?? (t.pk === 'text' ? 'k' : 'id'))}) < 1000)`);
  const options = [t.strict ? 'STRICT' : '', t.withoutRowid ? 'WITHOUT ROWID' : ''].filter(Boolean).join(', ');
  return `CREATE TABLE ${q(t.name)} (${items.join(', ')})${options === '' ? '' : ` ${options}`}`;
}

function schemaSql(tables: readonly Table[]): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(tableSql(t));
    for (const index of t.indexes) out.push(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${q(index.name)} ON ${q(t.name)} (${index.columns.map(q).join(', ')})`);
  }
  for (const t of tables) {
    if (t.view !== undefined) out.push(`CREATE VIEW ${q(`v_${t.name}`)} AS SELECT ${t.view.map(q).join(', ')} FROM ${q(t.name)}`);
    if (t.trigger) out.push(`CREATE TRIGGER ${q(`tr_${t.name}`)} AFTER UPDATE ON ${q(t.name)} BEGIN SELECT 1; END`);
  }
  return out.map((s) => `${s};`).join('\n');
}

let columnCounter = 0;
function newColumn(rng: Rng, parents: readonly string[], original: boolean): Column {
  const family = rng.pick(['integer', 'text', 'real', 'blob'] as const);
  const references = family === 'integer' && parents.length > 0 && rng.chance(0.3) ? rng.pick(parents) : undefined;
  // A foreign-key column is nullable without a default: a default would point at a parent row that may not exist.
  const hasDefault = references === undefined && rng.chance(0.5);
  return {
    name: `c${columnCounter++}`,
    family,
    type: rng.pick(TYPES[family]),
    notNull: hasDefault && rng.chance(0.5),
    hasDefault,
    // Only original columns hold distinct values in every row (new ones hold their default).
    unique: original && references === undefined && rng.chance(0.15),
    references,
    original,
  };
}

function sideObjects(rng: Rng, t: Table): void {
  const names = [...(t.pk === 'alias' ? ['id'] : t.pk === 'text' ? ['k'] : []), ...t.columns.map((c) => c.name)];
  // Columns whose values differ in every row (foreign keys repeat their parents' ids).
  const originals = t.columns.filter((c) => c.original && c.references === undefined).map((c) => c.name);
  t.indexes = [];
  const count = rng.int(3);
  for (let i = 0; i < count && names.length > 0; i++) {
    const cols = [rng.pick(names)];
    if (rng.chance(0.3)) cols.push(rng.pick(names));
    const unique = [...new Set(cols)];
    t.indexes.push({ name: `ix_${t.name}_${i}`, columns: unique, unique: unique.every((c) => originals.includes(c) || c === 'id' || c === 'k') && rng.chance(0.3) });
  }
  t.view = rng.chance(0.4) && names.length > 0 ? names.filter(() => rng.chance(0.6)).concat(names[0]!).filter((n, i, all) => all.indexOf(n) === i) : undefined;
  t.trigger = rng.chance(0.3);
}

function generateA(rng: Rng): Table[] {
  const tables: Table[] = [];
  const count = 1 + rng.int(4);
  for (let i = 0; i < count; i++) {
    const parents = tables.filter((t) => t.pk === 'alias').map((t) => t.name);
    const pk = rng.pick(['alias', 'alias', 'text', 'none'] as const);
    const columns = Array.from({ length: 1 + rng.int(4) }, () => newColumn(rng, parents, true));
    const t: Table = { name: `t${i}`, pk, columns, strict: rng.chance(0.3), withoutRowid: pk !== 'none' && rng.chance(0.2), check: rng.chance(0.2), indexes: [], view: undefined, trigger: false };
    sideObjects(rng, t);
    tables.push(t);
  }
  return tables;
}

function mutate(rng: Rng, a: readonly Table[]): Table[] {
  const b: Table[] = structuredClone(a as Table[]).map((t) => ({ ...t, columns: t.columns.map((c) => ({ ...c })) }));
  // Drop a table (not the first), new tables, and then change columns of the others.
  if (b.length > 1 && rng.chance(0.3)) b.splice(1 + rng.int(b.length - 1), 1);
  if (rng.chance(0.3)) b.push({ name: `n${rng.int(1000)}`, pk: 'alias', columns: [newColumn(rng, [], false)], strict: rng.chance(0.3), withoutRowid: false, check: false, indexes: [], view: undefined, trigger: false });
  const alive = new Set(b.map((t) => t.name));
  const referenced = new Set(b.flatMap((t) => t.columns.map((c) => c.references)).filter((r): r is string => r !== undefined));
  for (const t of b) {
    for (const c of t.columns) if (c.references !== undefined && !alive.has(c.references)) c.references = undefined;
    if (rng.chance(0.25)) {
      // Only new columns at the end, indexes kept: the pairs that ALTER TABLE … ADD COLUMN serves (when it can).
      const parents = b.filter((p) => p.pk === 'alias' && p !== t).map((p) => p.name);
      for (let n = 1 + rng.int(2); n > 0; n--) t.columns.push(newColumn(rng, parents, false));
      continue;
    }
    if (rng.chance(0.25)) {
      // The table stays; its indexes, view and trigger change.
      sideObjects(rng, t);
      continue;
    }
    const changed = rng.chance(0.7);
    if (!changed) continue;
    const edits = 1 + rng.int(3);
    for (let e = 0; e < edits; e++) {
      const what = rng.int(8);
      const c = t.columns.length > 0 ? t.columns[rng.int(t.columns.length)]! : undefined;
      if (what === 0 || c === undefined) {
        const parents = b.filter((p) => p.pk === 'alias' && p !== t).map((p) => p.name);
        const added = newColumn(rng, parents, false);
        // Sometimes a column ALTER TABLE can add (nullable or with a constant default), sometimes not.
        t.columns.push(added);
      } else if (what === 1 && t.columns.length > 1) {
        t.columns.splice(t.columns.indexOf(c), 1);
      } else if (what === 2) {
        c.type = rng.pick(TYPES[c.family]);
      } else if (what === 3) {
        c.notNull = false;
      } else if (what === 4 && !referenced.has(t.name)) {
        t.strict = !t.strict;
      } else if (what === 5 && t.pk !== 'none') {
        t.withoutRowid = !t.withoutRowid;
      } else if (what === 6 && c.references === undefined) {
        c.hasDefault = !c.hasDefault || c.notNull;
      } else {
        t.check = !t.check;
      }
    }
    sideObjects(rng, t);
  }
  return b;
}

function valueFor(c: Column, row: number, parentRows: Map<string, number>): string {
  if (c.references !== undefined) {
    const n = parentRows.get(c.references) ?? 0;
    return n === 0 || row % 3 === 0 ? (c.notNull ? DEFAULTS.integer : 'NULL') : String((row % n) + 1);
  }
  if (!c.notNull && row % 4 === 3) return 'NULL';
  switch (c.family) {
    case 'integer':
      return row === 1 ? '9007199254740993' : String(row * 7 + 1);
    case 'text':
      return `'v${row}'`;
    case 'real':
      return String(row + 0.25);
    case 'blob':
      return `x'${row.toString(16).padStart(2, '0')}ff'`;
  }
}

function rowsSql(tables: readonly Table[], rng: Rng): string {
  const out: string[] = [];
  const counts = new Map<string, number>();
  for (const t of tables) {
    const n = rng.int(5);
    counts.set(t.name, t.pk === 'alias' ? n : 0);
    for (let row = 0; row < n; row++) {
      const names = [...(t.pk === 'text' ? ['k'] : t.pk === 'alias' ? ['id'] : []), ...t.columns.map((c) => c.name)];
      const values = [...(t.pk === 'text' ? [`'k${row}'`] : t.pk === 'alias' ? [String(row + 1)] : []), ...t.columns.map((c) => valueFor(c, row, counts))];
      out.push(`INSERT INTO ${q(t.name)} (${names.map(q).join(', ')}) VALUES (${values.join(', ')});`);
    }
  }
  return out.join('\n');
}

async function contents(db: Database, tables: readonly Table[], keep: (t: Table) => string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of tables) {
    const cols = keep(t);
    if (cols.length === 0) continue;
    const rows = await db.all(`SELECT ${cols.map(q).join(', ')} FROM ${q(t.name)}`, [], { integers: 'bigint' });
    out[t.name] = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
  }
  return out;
}

const seenKinds = new Set<string>();

/** Empties a database's schema, so that one pair of databases serves every run. */
async function reset(db: Database): Promise<void> {
  const objects = await db.all<{ type: string; name: string }>("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND type IN ('view', 'trigger', 'table') ORDER BY type = 'table'");
  await db.exec('PRAGMA foreign_keys = OFF');
  for (const o of objects) await db.exec(`DROP ${o.type.toUpperCase()} IF EXISTS ${q(o.name)}`);
  await db.exec("DELETE FROM sqlite_sequence WHERE 1").catch(() => undefined);
  await db.exec('PRAGMA foreign_keys = ON');
}

async function checkPair(a: Database, b: Database, seed: number): Promise<void> {
  const rng = prng(seed);
  columnCounter = 0;
  const aTables = generateA(rng);
  const bTables = mutate(rng, aTables);
  await reset(a);
  await reset(b);
  {
    await a.exec(schemaSql(aTables));
    const rows = rowsSql(aTables, rng);
    if (process.env['DIFF_DEBUG'] !== undefined) console.log(schemaSql(aTables), rows);
    await a.exec(rows);
    await b.exec(schemaSql(bTables));
    const bNames = new Map(bTables.map((t) => [t.name, new Set([...t.columns.map((c) => c.name), 'id', 'k'])]));
    const shared = (t: Table) => {
      const names = bNames.get(t.name);
      if (names === undefined) return [];
      return [...(t.pk === 'alias' ? ['id'] : t.pk === 'text' ? ['k'] : []), ...t.columns.map((c) => c.name)].filter((n) => names.has(n));
    };
    const before = await contents(a, aTables, shared);
    const changes = await diff(a, b);
    for (const change of changes.changes) seenKinds.add(change.kind);
    if (process.env['DIFF_DEBUG'] !== undefined) console.log(`${schemaSql(aTables)}\n${rowsSql(aTables, prng(seed))}\n--\n${schemaSql(bTables)}\n--\n${changes.sql}`);
    await applyScript(a, changes.sql);
    await expectSameSchema(a, b);
    expect(await contents(a, aTables, shared)).toEqual(before);
    expect((await diff(a, b)).empty).toBe(true);
    expect(await a.all('PRAGMA foreign_key_check')).toEqual([]);
    expect(await a.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
  }
}

describe('diff as a property', () => {
  it('turns a into b for generated schema pairs, keeping the rows of every column both have', async () => {
    const a = await openTemp();
    const b = await openTemp();
    const only = process.env['DIFF_SEED'];
    if (only !== undefined) return checkPair(a, b, Number(only));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => checkPair(a, b, seed)),
      { numRuns: Number(process.env['DIFF_RUNS'] ?? 100) },
    );
    // The generator reaches every kind of change a table pair can need (add-column and rebuild included).
    expect([...seenKinds].sort()).toEqual(['add-column', 'create-index', 'create-table', 'create-trigger', 'create-view', 'drop-index', 'drop-table', 'drop-trigger', 'drop-view', 'rebuild-table']);
  }, 120_000);
});
