// Type-checked by `tsc -p tsconfig.json` (the package's typecheck): TypeScript written against node-sqlite3's own
// typings must compile unchanged against this package, contextual `this` types included.
import sqlite3, { Database, OPEN_READONLY, type RunResult, type Statement } from '../src/index.ts';

interface User {
  id: number;
  name: string;
}

export function typedUsage(): void {
  const db: Database = new sqlite3.Database(':memory:', sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err: Error | null) => {
    if (err) throw err;
  });
  db.serialize(() => {
    db.run('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    db.run('INSERT INTO users (name) VALUES (?)', ['Ada'], function (err) {
      const check: (result: RunResult) => number = (result) => result.lastID;
      const id: number = check(this) + this.changes;
      void [err, id];
    });
    db.get<User>('SELECT * FROM users WHERE id = ?', [1], (err, row) => {
      const name: string = row.name;
      void [err, name];
    });
    db.all<User>('SELECT * FROM users', (err, rows) => {
      const names: string[] = rows.map((u) => u.name);
      void [err, names];
    });
    db.each<User>(
      'SELECT * FROM users',
      (err, row) => void [err, row.id],
      (err, count) => void [err, count.toFixed()],
    );
    const stmt: Statement = db.prepare('SELECT * FROM users WHERE id = ?');
    stmt.get<User>([1], function (err, row) {
      void [err, row?.name, this.lastID];
    });
    stmt.run(function (err) {
      void [err, this.changes];
    });
    const back: Database = stmt.finalize();
    void back;
    db.on('trace', (sql) => void sql.length);
    db.on('profile', (sql, ms) => void [sql, ms.toFixed()]);
    db.exec('SELECT 1', (err) => void err);
    db.configure('busyTimeout', 500);
    db.wait(() => db.close((err) => void err));
  });
  const readonly = new Database('x.db', OPEN_READONLY);
  readonly.interrupt();
  const cached: Database = sqlite3.cached.Database('x.db');
  void cached;
  const verbose = sqlite3.verbose();
  void new verbose.Database(':memory:');
}
