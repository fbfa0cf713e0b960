import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, type Database } from '@rapsqlite/engine';
import { recordQueries, replayQueries, TestingErrorCodes, type QueryReplayer } from '../../src/index.ts';
import { onCleanup, openTemp, tempDir } from '../helpers.ts';

/** The code under test: a small report over a real schema. */
async function report(db: Pick<Database, 'get' | 'all' | 'run' | 'runMany' | 'values' | 'iterate' | 'prepare' | 'transaction'>) {
  await db.run('INSERT INTO visits (page, at) VALUES (?, ?)', ['/home', 3]);
  await db.transaction(async (tx) => {
    await tx.runMany('INSERT INTO visits (page, at) VALUES (?, ?)', [['/a', 4], ['/b', 5]]);
  });
  const total = await db.get<{ n: number }>('SELECT count(*) AS n FROM visits');
  const pages = await db.all('SELECT page, count(*) AS hits FROM visits GROUP BY page ORDER BY page');
  const table = await db.values('SELECT page, blob, big FROM visits WHERE blob IS NOT NULL', [], { integers: 'bigint' });
  const streamed: unknown[] = [];
  for await (const row of db.iterate('SELECT page FROM visits ORDER BY at')) {
    streamed.push(row);
    if (streamed.length === 2) break;
  }
  const stmt = await db.prepare('SELECT page FROM visits WHERE at = ?');
  const byTime = await stmt.get([5]);
  const failure = await db.run('INSERT INTO visits (page, at) VALUES (NULL, 1)').catch((e: { code: string }) => e.code);
  return { total, pages, table, streamed, byTime, failure };
}

async function recordReport(file: string) {
  const recorder = recordQueries(file);
  const db = await openTemp({ middleware: [recorder] });
  await db.exec(`CREATE TABLE visits (page TEXT NOT NULL, at INTEGER, blob BLOB, big INTEGER);
    INSERT INTO visits VALUES ('/blob', 1, x'00ff', 9007199254740997)`);
  const result = await report(db);
  await recorder.save();
  return { result, recorder };
}

async function replayer(file: string, options?: Parameters<typeof replayQueries>[1]): Promise<{ db: Database; raw: Database; replay: QueryReplayer }> {
  const replay = replayQueries(file, options);
  const raw = await open(':memory:');
  onCleanup(() => raw.close());
  return { db: raw.with(replay), raw, replay };
}

describe('recordQueries and replayQueries', () => {
  it('replays a recorded session without SQLite and gives the same results', async () => {
    const file = join(tempDir(), 'report.json');
    const { result } = await recordReport(file);
    const { db, raw, replay } = await replayer(file);
    await db.exec(`CREATE TABLE visits (page TEXT NOT NULL, at INTEGER, blob BLOB, big INTEGER);
    INSERT INTO visits VALUES ('/blob', 1, x'00ff', 9007199254740997)`);
    const replayed = await report(db);
    expect(replayed).toEqual(result);
    expect(Buffer.isBuffer(replayed.table.rows[0]?.[1])).toBe(true);
    expect(replayed.table.rows[0]?.[2]).toBe(9007199254740997n);
    expect(replayed.failure).toBe('SQLITE_CONSTRAINT_NOTNULL');
    replay.assertComplete();
    // The schema script was replayed too: nothing but the transaction's framing ran in SQLite.
    expect(await raw.all('SELECT name FROM sqlite_master')).toEqual([]);
  });

  it('writes a readable JSON file as operations settle', async () => {
    const file = join(tempDir(), 'auto.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    await db.get('SELECT 1 AS one');
    await new Promise<void>((resolve) => setImmediate(resolve));
    const content = JSON.parse(readFileSync(file, 'utf8'));
    expect(content).toEqual({ format: 'rapsqlite-recording', version: 1, entries: [{ kind: 'get', sql: 'SELECT 1 AS one', result: { one: 1 } }] });
    expect(recorder.entries).toHaveLength(1);
  });

  it('fails with ERR_RAPSQLITE_REPLAY_DRIFT when the SQL changes', async () => {
    const file = join(tempDir(), 'drift.json');
    await recordReport(file);
    const { db } = await replayer(file);
    await db.exec(`CREATE TABLE visits (page TEXT NOT NULL, at INTEGER, blob BLOB, big INTEGER);
    INSERT INTO visits VALUES ('/blob', 1, x'00ff', 9007199254740997)`);
    await expect(db.run('INSERT INTO visits (page, at, extra) VALUES (?, ?, 0)', ['/home', 3])).rejects.toMatchObject({ code: TestingErrorCodes.REPLAY_DRIFT });
  });

  it('fails with ERR_RAPSQLITE_REPLAY_DRIFT when the parameters change, without showing them', async () => {
    const file = join(tempDir(), 'params.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    await db.get('SELECT ? AS secret', ['old-secret']);
    await recorder.save();
    const { db: replayDb } = await replayer(file);
    const err = (await replayDb.get('SELECT ? AS secret', ['new-secret']).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe(TestingErrorCodes.REPLAY_DRIFT);
    expect(err.message).not.toMatch(/secret-/);
  });

  it('fails with drift past the end, and assertComplete reports what was not replayed', async () => {
    const file = join(tempDir(), 'short.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    await db.get('SELECT 1 AS a');
    await db.get('SELECT 2 AS b');
    await recorder.save();
    const { db: one, replay } = await replayer(file);
    expect(await one.get('SELECT 1 AS a')).toEqual({ a: 1 });
    expect(replay.remaining).toBe(1);
    expect(() => replay.assertComplete()).toThrow(expect.objectContaining({ code: TestingErrorCodes.REPLAY_INCOMPLETE }));
    expect(await one.get('SELECT 2 AS b')).toEqual({ b: 2 });
    await expect(one.get('SELECT 3 AS c')).rejects.toMatchObject({ code: TestingErrorCodes.REPLAY_DRIFT });
  });

  it("pairs operations by content in any order with match: 'lookup'", async () => {
    const file = join(tempDir(), 'lookup.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    await db.get('SELECT ? AS v', [1]);
    await db.get('SELECT ? AS v', [2]);
    await recorder.save();
    const { db: strict } = await replayer(file);
    await expect(strict.get('SELECT ? AS v', [2])).rejects.toMatchObject({ code: TestingErrorCodes.REPLAY_DRIFT });
    const { db: loose, replay } = await replayer(file, { match: 'lookup' });
    expect(await loose.get('SELECT ? AS v', [2])).toEqual({ v: 2 });
    expect(await loose.get('SELECT ? AS v', [1])).toEqual({ v: 1 });
    replay.assertComplete();
  });

  it('fails with drift when code reads further into a stream than was recorded', async () => {
    const file = join(tempDir(), 'stream.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    for await (const _row of db.iterate('SELECT value FROM (WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c WHERE value < 10) SELECT value FROM c)')) break;
    await recorder.save();
    const { db: replayDb } = await replayer(file);
    const rows: unknown[] = [];
    const err = await (async () => {
      for await (const row of replayDb.iterate('SELECT value FROM (WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c WHERE value < 10) SELECT value FROM c)')) rows.push(row);
    })().catch((e: { code: string }) => e);
    expect(rows).toEqual([{ value: 1 }]);
    expect(err).toMatchObject({ code: TestingErrorCodes.REPLAY_DRIFT });
  });

  it('replays a runMany failure with its index', async () => {
    const file = join(tempDir(), 'index.json');
    const recorder = recordQueries(file);
    const db = await openTemp({ middleware: [recorder] });
    await db.exec('CREATE TABLE u (v UNIQUE)');
    await db.runMany('INSERT INTO u VALUES (?)', [[1], [1]]).catch(() => undefined);
    await recorder.save();
    const { db: replayDb } = await replayer(file);
    await replayDb.exec('CREATE TABLE u (v UNIQUE)');
    await expect(replayDb.runMany('INSERT INTO u VALUES (?)', [[1], [1]])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', index: 1 });
  });

  it('refuses a missing or foreign file with ERR_RAPSQLITE_REPLAY_FILE', () => {
    const dir = tempDir();
    expect(() => replayQueries(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: TestingErrorCodes.REPLAY_FILE }));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => replayQueries(join(dir, 'bad.json'))).toThrow(expect.objectContaining({ code: TestingErrorCodes.REPLAY_FILE }));
    writeFileSync(join(dir, 'other.json'), '{"entries": []}');
    expect(() => replayQueries(join(dir, 'other.json'))).toThrow(expect.objectContaining({ code: TestingErrorCodes.REPLAY_FILE }));
    writeFileSync(join(dir, 'future.json'), '{"format": "rapsqlite-recording", "version": 99, "entries": []}');
    expect(() => replayQueries(join(dir, 'future.json'))).toThrow(expect.objectContaining({ code: TestingErrorCodes.REPLAY_FILE }));
  });
});
