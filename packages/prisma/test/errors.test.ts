import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { open, RapsqliteError, type Database } from '@rapsqlite/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteExtendedCode, toPrismaError } from '../src/errors.ts';

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
}

describe('error mapping from real SQLite failures', () => {
  let db: Database;
  beforeAll(async () => {
    db = await open(':memory:');
    await db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, n INTEGER CHECK (n > 0));
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));
      CREATE TABLE tag (name TEXT);
      CREATE UNIQUE INDEX tag_lower ON tag (lower(name));
      INSERT INTO parent (id, email, n) VALUES (1, 'a', 1);
      INSERT INTO tag VALUES ('a');`);
  });
  afterAll(async () => {
    await db.close();
  });

  const cause = (err: unknown) => (toPrismaError(err) as DriverAdapterError).cause;

  it('maps unique and primary-key violations to UniqueConstraintViolation with table and fields', async () => {
    expect(cause(await failure(db.run("INSERT INTO parent (email, n) VALUES ('a', 1)")))).toEqual({
      kind: 'UniqueConstraintViolation',
      table: 'parent',
      constraint: { fields: ['email'] },
      originalCode: 'SQLITE_CONSTRAINT_UNIQUE',
      originalMessage: 'UNIQUE constraint failed: parent.email',
    });
    expect(cause(await failure(db.run("INSERT INTO parent (id, email, n) VALUES (1, 'b', 1)")))).toMatchObject({ kind: 'UniqueConstraintViolation', constraint: { fields: ['id'] }, originalCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(cause(await failure(db.run("INSERT INTO tag VALUES ('A')")))).toMatchObject({ kind: 'UniqueConstraintViolation', constraint: { index: 'tag_lower' } });
  });

  it('maps NOT NULL, foreign key, missing table and missing column failures', async () => {
    expect(cause(await failure(db.run('INSERT INTO parent (email, n) VALUES (NULL, 1)')))).toMatchObject({ kind: 'NullConstraintViolation', constraint: { fields: ['email'] } });
    expect(cause(await failure(db.run('INSERT INTO child (parent_id) VALUES (99)')))).toMatchObject({ kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} } });
    expect(cause(await failure(db.all('SELECT * FROM nope')))).toMatchObject({ kind: 'TableDoesNotExist', table: 'nope' });
    expect(cause(await failure(db.all('SELECT nope FROM parent')))).toMatchObject({ kind: 'ColumnNotFound', column: 'nope' });
    expect(cause(await failure(db.run('INSERT INTO parent (nope) VALUES (1)')))).toMatchObject({ kind: 'ColumnNotFound', column: 'nope' });
  });

  it('keeps other SQLite failures as the sqlite kind with the numeric extended code', async () => {
    expect(cause(await failure(db.run("INSERT INTO parent (email, n) VALUES ('c', 0)")))).toMatchObject({ kind: 'sqlite', extendedCode: 275, originalCode: 'SQLITE_CONSTRAINT_CHECK' });
    expect(cause(await failure(db.all('SELEC 1')))).toMatchObject({ kind: 'sqlite', extendedCode: 1, originalCode: 'SQLITE_ERROR' });
    expect(sqliteExtendedCode('SQLITE_IOERR_SHORT_READ')).toBe(10);
    expect(sqliteExtendedCode('NOT_SQLITE')).toBeUndefined();
  });

  it('maps busy, closed and timeout conditions to the kinds Prisma reports as P1008, P1017 and P1018', () => {
    expect(cause(new RapsqliteError('SQLITE_BUSY_TIMEOUT', 'database is locked'))).toMatchObject({ kind: 'SocketTimeout' });
    expect(cause(new RapsqliteError('ERR_RAPSQLITE_TIMEOUT', 'late'))).toMatchObject({ kind: 'SocketTimeout' });
    expect(cause(new RapsqliteError('ERR_RAPSQLITE_POOL_ACQUIRE_TIMEOUT', 'late'))).toMatchObject({ kind: 'SocketTimeout' });
    expect(cause(new RapsqliteError('ERR_RAPSQLITE_POOL_QUEUE_FULL', 'full'))).toMatchObject({ kind: 'TooManyConnections', cause: 'full' });
    expect(cause(new RapsqliteError('ERR_RAPSQLITE_CLOSED', 'closed'))).toMatchObject({ kind: 'ConnectionClosed' });
    expect(cause(new RapsqliteError('ERR_RAPSQLITE_TRANSACTION_CLOSED', 'ended'))).toMatchObject({ kind: 'TransactionAlreadyClosed' });
  });

  it('passes rapsqlite errors without a Prisma kind through unchanged, so their code reaches the user', () => {
    const unknown = new RapsqliteError('ERR_RAPSQLITE_OUTCOME_UNKNOWN', 'worker died after COMMIT');
    expect(toPrismaError(unknown)).toBe(unknown);
    const plain = new Error('plain');
    expect(toPrismaError(plain)).toBe(plain);
    const mapped = new DriverAdapterError({ kind: 'SocketTimeout' });
    expect(toPrismaError(mapped)).toBe(mapped);
  });
});
