import { describe, expect, it } from 'vitest';
import { splitStatements } from '../src/sql/split-statements.ts';
import { classifyStatement } from '../src/sql/classify.ts';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits at semicolons outside strings, names and comments', () => {
    expect(texts(`CREATE TABLE "a;b" (x TEXT DEFAULT ';'); -- a comment; with a semicolon
      /* block; */ INSERT INTO "a;b" VALUES ('x;y');;
      SELECT 1`)).toEqual([`CREATE TABLE "a;b" (x TEXT DEFAULT ';')`, `INSERT INTO "a;b" VALUES ('x;y')`, 'SELECT 1']);
  });

  it('keeps a trigger body, CASE … END included, in one statement', () => {
    const sql = `CREATE TABLE t (x);
CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN
  UPDATE t SET x = CASE WHEN new.x > 1 THEN 1 ELSE 2 END;
  SELECT 1;
END;
INSERT INTO t VALUES (1);`;
    const out = texts(sql);
    expect(out).toHaveLength(3);
    expect(out[1]).toMatch(/^CREATE TEMP TRIGGER tr[\s\S]*SELECT 1;\nEND$/);
  });

  it('drops empty statements and trailing comments', () => {
    expect(texts(';;  -- nothing\n /* here */')).toEqual([]);
  });
});

describe('classifyStatement', () => {
  const cls = (sql: string) => classifyStatement(splitStatements(sql)[0]!);
  it('recognises what cannot run in a transaction', () => {
    expect(cls('VACUUM')).toBe('no-transaction');
    expect(cls('PRAGMA journal_mode = DELETE')).toBe('no-transaction');
    expect(cls('PRAGMA main.journal_mode=WAL')).toBe('no-transaction');
    expect(cls("ATTACH 'x.db' AS x")).toBe('no-transaction');
    expect(cls('commit')).toBe('no-transaction');
    expect(cls('PRAGMA journal_mode')).toBe('plain');
  });

  it('recognises foreign-key pragmas in their spellings', () => {
    expect(cls('PRAGMA foreign_keys = OFF')).toBe('foreign-keys-off');
    expect(cls('pragma foreign_keys=0')).toBe('foreign-keys-off');
    expect(cls("PRAGMA foreign_keys('off')")).toBe('foreign-keys-off');
    expect(cls('PRAGMA foreign_keys = on')).toBe('foreign-keys-on');
    expect(cls('PRAGMA foreign_keys')).toBe('plain');
    expect(cls('PRAGMA foreign_key_check')).toBe('foreign-key-check');
    expect(cls('CREATE TABLE t (x)')).toBe('plain');
  });
});
