import { describe, expect, it } from 'vitest';
import type { Transaction } from '../src/index.ts';
import { openTemp } from './helpers.ts';

async function accounts() {
  const db = await openTemp();
  await db.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
    INSERT INTO accounts VALUES (1, 100), (2, 0);`);
  return db;
}

const balances = async (db: { all: (sql: string) => Promise<unknown[]> }) => db.all('SELECT id, balance FROM accounts ORDER BY id');

describe('transactions', () => {
  it('commits when the callback resolves and returns its value', async () => {
    const db = await accounts();
    const moved = await db.transaction(async (tx) => {
      await tx.run('UPDATE accounts SET balance = balance - 30 WHERE id = 1');
      await tx.run('UPDATE accounts SET balance = balance + 30 WHERE id = 2');
      return 30;
    });
    expect(moved).toBe(30);
    expect(await balances(db)).toEqual([{ id: 1, balance: 70 }, { id: 2, balance: 30 }]);
  });

  it('rolls back and rethrows when the callback throws', async () => {
    const db = await accounts();
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.run('UPDATE accounts SET balance = balance + 50 WHERE id = 2');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await balances(db)).toEqual([{ id: 1, balance: 100 }, { id: 2, balance: 0 }]);
  });

  it('rolls back when a statement inside fails and the error escapes', async () => {
    const db = await accounts();
    await expect(
      db.transaction(async (tx) => {
        await tx.run('UPDATE accounts SET balance = balance + 10 WHERE id = 2');
        await tx.run('UPDATE accounts SET balance = balance - 1000 WHERE id = 1');
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_CHECK' });
    expect(await balances(db)).toEqual([{ id: 1, balance: 100 }, { id: 2, balance: 0 }]);
  });

  it('nests as a savepoint: an inner failure rolls back only the inner work', async () => {
    const db = await accounts();
    await db.transaction(async (tx) => {
      await tx.run('UPDATE accounts SET balance = 90 WHERE id = 1');
      await expect(
        tx.transaction(async (inner) => {
          expect(inner.info.depth).toBe(1);
          await inner.run('UPDATE accounts SET balance = 5 WHERE id = 2');
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await tx.transaction(async (inner) => {
        await inner.run('UPDATE accounts SET balance = 7 WHERE id = 2');
      });
    });
    expect(await balances(db)).toEqual([{ id: 1, balance: 90 }, { id: 2, balance: 7 }]);
  });

  it('rolls back a committed savepoint when the outer transaction fails', async () => {
    const db = await accounts();
    await expect(
      db.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.run('UPDATE accounts SET balance = 1 WHERE id = 2'));
        throw new Error('outer');
      }),
    ).rejects.toThrow('outer');
    expect(await balances(db)).toEqual([{ id: 1, balance: 100 }, { id: 2, balance: 0 }]);
  });

  it('lets nothing from concurrent callers run inside a transaction', async () => {
    const db = await accounts();
    await db.exec('CREATE TABLE log (who TEXT, at INTEGER)');
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    // Other callers, in their own async context, fire while the transaction is open across awaits.
    const outside = (async () => {
      await isOpen;
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) calls.push(db.run("INSERT INTO log VALUES ('other', ?)", [1000 + i]));
      calls.push(db.get('SELECT count(*) AS n FROM log'));
      return Promise.all(calls);
    })();
    const inTx = db.transaction(async (tx) => {
      await tx.run("INSERT INTO log VALUES ('tx', 0)");
      opened();
      await new Promise((resolve) => setTimeout(resolve, 30));
      await tx.run("INSERT INTO log VALUES ('tx', 1)");
      const seen = await tx.get<{ n: number }>("SELECT count(*) AS n FROM log WHERE who = 'other'");
      expect(seen!.n).toBe(0);
      throw new Error('roll back');
    });
    await expect(inTx).rejects.toThrow('roll back');
    const results = await outside;
    // The outside read ran after the rollback: it saw every outside insert and none of the transaction's.
    expect(results[50]).toEqual({ n: 50 });
    expect(await db.get("SELECT count(*) AS n FROM log WHERE who = 'tx'")).toEqual({ n: 0 });
  });

  it('runs transactions one after another, in arrival order', async () => {
    const db = await accounts();
    await db.exec('CREATE TABLE seq (n INTEGER)');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction(async (tx) => {
          const { m } = (await tx.get<{ m: number | null }>('SELECT max(n) AS m FROM seq'))!;
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.run('INSERT INTO seq VALUES (?)', [(m ?? -1) + 1]);
          expect(i).toBeGreaterThanOrEqual(0);
        }),
      ),
    );
    const rows = await db.all<{ n: number }>('SELECT n FROM seq ORDER BY rowid');
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('detects a callback that calls the database instead of tx, instead of hanging', async () => {
    const db = await accounts();
    await expect(db.transaction(async () => db.get('SELECT 1'))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK' });
    await expect(db.transaction(async () => db.transaction(async () => 1))).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TRANSACTION_DEADLOCK' });
    // The database is still usable afterwards.
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('refuses a tx handle used after its callback settled', async () => {
    const db = await accounts();
    let leaked: Transaction | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    expect(leaked!.active).toBe(false);
    await expect(leaked!.get('SELECT 1')).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_TRANSACTION_CLOSED' });
  });

  it('begins in the requested mode', async () => {
    const db = await accounts();
    const seen: string[] = [];
    const spy = db.with({ name: 'spy', wrap: (next) => (op) => (seen.push(op.sql), next(op)) });
    await spy.transaction(async () => undefined);
    await spy.transaction(async () => undefined, { mode: 'deferred' });
    await spy.transaction(async () => undefined, { mode: 'exclusive' });
    expect(seen.filter((s) => s.startsWith('BEGIN'))).toEqual(['BEGIN IMMEDIATE', 'BEGIN IMMEDIATE', 'BEGIN DEFERRED', 'BEGIN DEFERRED', 'BEGIN EXCLUSIVE', 'BEGIN EXCLUSIVE']);
    await expect(db.transaction(async () => 1, { mode: 'eventual' as never })).rejects.toMatchObject({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' });
  });

  it('holds one write lock from BEGIN IMMEDIATE: a second connection gets SQLITE_BUSY', async () => {
    const db = await accounts();
    const { open } = await import('../src/index.ts');
    const other = await open(db.path, { busyTimeoutMs: 0 });
    try {
      await db.transaction(async (tx) => {
        await tx.get('SELECT 1');
        await expect(other.run('UPDATE accounts SET balance = 1 WHERE id = 2')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      });
      await other.run('UPDATE accounts SET balance = 1 WHERE id = 2');
    } finally {
      await other.close();
    }
  });
});
