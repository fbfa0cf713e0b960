import { describe, expect, it } from 'vitest';
import { StatementSplitter } from '../../src/toolbox/sql-split.ts';

function splitAll(text: string, cut: number): string[] {
  const splitter = new StatementSplitter();
  const out: string[] = [];
  for (let at = 0; at < text.length; at += cut) out.push(...splitter.push(text.slice(at, at + cut)));
  const rest = splitter.end();
  if (rest !== '') out.push(rest);
  return out;
}

const SCRIPT = `CREATE TABLE t (a TEXT DEFAULT ';', "b;c" INTEGER); -- a comment; with a semicolon
INSERT INTO t VALUES ('x;y', 1), ('it''s; fine', 2);
/* block; comment */ CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN
  UPDATE t SET a = 'END;' WHERE rowid = new.rowid;
  DELETE FROM t WHERE a = ';';
END;
CREATE TRIGGER [x;y] BEFORE DELETE ON t BEGIN SELECT 1; END;
EXPLAIN CREATE TABLE u (x);
;;
SELECT 1`;

const EXPECTED = [
  `CREATE TABLE t (a TEXT DEFAULT ';', "b;c" INTEGER);`,
  `-- a comment; with a semicolon
INSERT INTO t VALUES ('x;y', 1), ('it''s; fine', 2);`,
  `/* block; comment */ CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN
  UPDATE t SET a = 'END;' WHERE rowid = new.rowid;
  DELETE FROM t WHERE a = ';';
END;`,
  'CREATE TRIGGER [x;y] BEFORE DELETE ON t BEGIN SELECT 1; END;',
  'EXPLAIN CREATE TABLE u (x);',
  'SELECT 1',
];

describe('StatementSplitter', () => {
  it("splits where sqlite3_complete() would, whatever the chunk boundaries", () => {
    for (const cut of [1, 2, 3, 7, 64, SCRIPT.length]) expect(splitAll(SCRIPT, cut)).toEqual(EXPECTED);
  });

  it('reports nothing left for trailing whitespace and comments', () => {
    const splitter = new StatementSplitter();
    expect(splitter.push('SELECT 1;\n-- done\n')).toEqual(['SELECT 1;']);
    expect(splitter.end()).toBe('');
  });
});
