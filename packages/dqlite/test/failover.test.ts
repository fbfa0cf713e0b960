import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import { DqliteErrorCodes, openDqlite, type DqliteDatabase } from '../src/index.ts';
import { startCluster, type TestCluster } from './helpers/dqlite-cluster.ts';

/** `RAPSQLITE_DQLITE=full` adds the slower scenarios to the default run. */
const full = process.env['RAPSQLITE_DQLITE'] === 'full';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

function codeOf(error: unknown): string {
  return String((error as { code?: unknown }).code);
}

// A cluster of its own: these tests kill and restart its nodes.
describe('failover on a three-node cluster', () => {
  let cluster: TestCluster;
  let db: DqliteDatabase;

  beforeAll(async () => {
    cluster = await startCluster(3);
    db = await openDqlite({ nodes: cluster.addresses, database: 'failover', leaderTimeoutMs: 20_000, connectTimeoutMs: 500 });
    await db.exec('CREATE TABLE w (id INTEGER PRIMARY KEY, worker INTEGER NOT NULL)');
  });

  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
  });

  it('loses no acknowledged write when the leader is killed under load, reports unknown outcomes, and resumes on the new leader', async () => {
    const acknowledged = new Set<number>();
    const unknown = new Set<number>();
    const failures: string[] = [];
    let nextId = 1;
    let stop = false;
    let killedAt = 0;
    let resumedAt = 0;
    const worker = async (index: number): Promise<void> => {
      while (!stop) {
        const id = nextId++;
        try {
          await db.run('INSERT INTO w (id, worker) VALUES (?, ?)', [id, index]);
          acknowledged.add(id);
          if (killedAt > 0 && resumedAt === 0) resumedAt = performance.now();
        } catch (err) {
          if (codeOf(err) === ErrorCodes.OUTCOME_UNKNOWN) unknown.add(id);
          else failures.push(codeOf(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, i) => worker(i));
    await until(() => acknowledged.size >= 300, 20_000, '300 writes before the kill');
    const leader = await cluster.leaderIndex();
    const before = acknowledged.size;
    killedAt = performance.now();
    await cluster.kill(leader);
    await until(() => resumedAt > 0 && acknowledged.size >= before + 300, 30_000, '300 writes on the new leader');
    stop = true;
    await Promise.all(workers);
    const failoverMs = resumedAt - killedAt;
    console.log(
      `dqlite failover: leader node ${leader} killed with SIGKILL under 8 writers; first write acknowledged by the new leader ${failoverMs.toFixed(0)} ms later; ` +
        `${acknowledged.size} acknowledged, ${unknown.size} of unknown outcome, ${failures.length} other failures`,
    );

    expect(failures).toEqual([]);
    // The writes in flight on the dead leader's socket, each reported as such.
    expect(unknown.size).toBeGreaterThan(0);
    const present = new Set((await db.all<{ id: number }>('SELECT id FROM w')).map((row) => row.id));
    const missing = [...acknowledged].filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    // Nothing is there that was neither acknowledged nor reported as of unknown outcome.
    expect([...present].filter((id) => !acknowledged.has(id) && !unknown.has(id))).toEqual([]);
    expect(db.leader?.address).not.toBe(cluster.nodes[leader]?.address);
    expect(db.stats().leaderChanges).toBeGreaterThanOrEqual(1);

    // The killed node comes back, catches up, and once it leads it serves exactly the data the others had.
    const expected = await db.all('SELECT id, worker FROM w ORDER BY id');
    cluster.restart(leader);
    await cluster.ready();
    const restarted = (await db.cluster()).find((node) => node.address === cluster.nodes[leader]?.address);
    expect(restarted?.role).toBe('voter');
    await db.transferLeadership(restarted?.id as bigint);
    let served: unknown[];
    const deadline = performance.now() + 20_000;
    for (;;) {
      served = await db.all('SELECT id, worker FROM w ORDER BY id');
      if (db.leader?.address === cluster.nodes[leader]?.address || performance.now() > deadline) break;
      await sleep(100);
    }
    expect(db.leader?.address).toBe(cluster.nodes[leader]?.address);
    expect(served).toEqual(expected);
  });

  it('fails the statement of a transaction in flight when the leader dies with ERR_RAPSQLITE_DQLITE_LEADER_LOST, commits none of it, and re-sends a read that was in flight', async () => {
    await db.exec('CREATE TABLE tx (id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
    const leader = await cluster.leaderIndex();
    // Long enough on the server (a few hundred ms here) to be in flight when the kill lands.
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) AS n FROM c';
    let inside!: () => void;
    const begun = new Promise<void>((resolve) => (inside = resolve));
    const doomed = db.transaction(async (tx) => {
      await tx.run("INSERT INTO tx (note) VALUES ('doomed')");
      const running = tx.get(slow);
      inside();
      await running;
    });
    const outcome = doomed.then(
      () => 'committed',
      (err: unknown) => codeOf(err),
    );
    await begun;
    const read = db.get<{ n: number }>(slow);
    await sleep(50);
    await cluster.kill(leader);
    expect(await outcome).toBe(DqliteErrorCodes.LEADER_LOST);
    // The read outside the transaction was sent again to the new leader.
    expect(await read).toEqual({ n: 400000 });
    await db.transaction((tx) => tx.run("INSERT INTO tx (note) VALUES ('after')"));
    expect(await db.all('SELECT note FROM tx')).toEqual([{ note: 'after' }]);
    cluster.restart(leader);
    await cluster.ready();
  });

  it.runIf(full)('fails the next statement of a transaction whose leader died between statements with the engine\'s ERR_RAPSQLITE_WORKER_DIED', async () => {
    const leader = await cluster.leaderIndex();
    let inside!: () => void;
    const begun = new Promise<void>((resolve) => (inside = resolve));
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const doomed = db.transaction(async (tx) => {
      await tx.run("INSERT INTO tx (note) VALUES ('doomed too')");
      inside();
      await gate;
      await tx.run("INSERT INTO tx (note) VALUES ('never')");
    });
    const outcome = doomed.then(
      () => 'committed',
      (err: unknown) => codeOf(err),
    );
    await begun;
    await cluster.kill(leader);
    await until(() => db.stats().connections[0]?.connected === false, 5000, 'the writer to notice');
    resume();
    expect(await outcome).toBe(ErrorCodes.WORKER_DIED);
    expect(await db.all('SELECT note FROM tx')).toEqual([{ note: 'after' }]);
    cluster.restart(leader);
    await cluster.ready();
  });

  it.runIf(full)('survives the leader being killed three times in a row under 32 writers, losing no acknowledged write', async () => {
    await db.exec('CREATE TABLE soak (id INTEGER PRIMARY KEY)');
    const acknowledged: number[] = [];
    const unknown = new Set<number>();
    const failures: string[] = [];
    let nextId = 1;
    let stop = false;
    const writers = Array.from({ length: 32 }, async () => {
      while (!stop) {
        const id = nextId++;
        try {
          await db.run('INSERT INTO soak (id) VALUES (?)', [id]);
          acknowledged.push(id);
        } catch (err) {
          if (codeOf(err) === ErrorCodes.OUTCOME_UNKNOWN) unknown.add(id);
          else failures.push(codeOf(err));
        }
      }
    });
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = acknowledged.length;
      await until(() => acknowledged.length >= before + 200, 30_000, 'writes before the kill');
      const leader = await cluster.leaderIndex();
      const killedAt = performance.now();
      const mark = acknowledged.length;
      await cluster.kill(leader);
      await until(() => acknowledged.length > mark + 50, 30_000, 'writes on the new leader');
      times.push(performance.now() - killedAt);
      cluster.restart(leader);
      await cluster.ready();
    }
    stop = true;
    await Promise.all(writers);
    console.log(`dqlite soak: three leader kills under 32 writers; resumed after ${times.map((t) => t.toFixed(0)).join(', ')} ms; ${acknowledged.length} acknowledged, ${unknown.size} unknown`);
    expect(failures).toEqual([]);
    const present = new Set((await db.all<{ id: number }>('SELECT id FROM soak')).map((row) => row.id));
    expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
    expect([...present].filter((id) => !unknown.has(id) && !acknowledged.includes(id))).toEqual([]);
  });

  it('bounds the wait for a leader with leaderTimeoutMs when the cluster has no quorum, and reads again once it has', async () => {
    const short = await openDqlite({ nodes: cluster.addresses, database: 'failover', leaderTimeoutMs: 3000, connectTimeoutMs: 1000 });
    try {
      expect(await short.get('SELECT count(*) AS n FROM tx')).toEqual({ n: 1 });
      // Two of three voters gone: no quorum, no leader.
      const leader = await cluster.leaderIndex();
      const other = (leader + 1) % 3;
      await Promise.all([cluster.kill(leader), cluster.kill(other)]);
      const started = performance.now();
      const error = await short.get('SELECT count(*) AS n FROM tx').catch((err: unknown) => err);
      const waited = performance.now() - started;
      expect(codeOf(error)).toBe(DqliteErrorCodes.NO_LEADER);
      expect(waited).toBeGreaterThanOrEqual(2500);
      console.log(`dqlite without quorum: the call failed with ${codeOf(error)} after ${waited.toFixed(0)} ms (leaderTimeoutMs 3000)`);
      // Quorum back: the same handle reads again.
      cluster.restart(leader);
      cluster.restart(other);
      await cluster.ready();
      expect(await short.get('SELECT count(*) AS n FROM tx')).toEqual({ n: 1 });
    } finally {
      await short.close();
    }
  });
});
