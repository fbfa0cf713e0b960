import { Database, type ConnectionInfo, type Middleware } from '@rapsqlite/engine';
import { invalidArgument, type HandleSettings } from '@rapsqlite/engine/plugin';
import { Cluster, type DqliteLeader, type DqliteNode, type LeaderChange } from './cluster/cluster.ts';
import { DqliteConnection } from './connection/dqlite-connection.ts';
import { DqliteProvider } from './connection/dqlite-provider.ts';
import { resolveDqliteOptions, type DqliteOptions, type ResolvedDqliteOptions } from './options.ts';

/** One connection of a dqlite handle, in {@link DqliteStats}. */
export interface DqliteConnectionStats {
  readonly connection: ConnectionInfo;
  /** A session to the leader is open. */
  readonly connected: boolean;
  /** Calls waiting in the client to be sent. */
  readonly queued: number;
  /** Calls sent and not yet answered (pipelined). */
  readonly inFlight: number;
  /** Cursors still streaming. */
  readonly cursors: number;
  /** Sessions this connection lost or gave up (the leader died or stepped down). */
  readonly sessionsLost: number;
}

/** A snapshot of a dqlite handle's state, for health checks and metrics. */
export interface DqliteStats {
  /** The leader as last seen, if any. */
  readonly leader: DqliteLeader | undefined;
  /** Times the client found the leader somewhere new. */
  readonly leaderChanges: number;
  /** Calls and transactions waiting for a connection. */
  readonly waiting: number;
  readonly connections: readonly DqliteConnectionStats[];
}

/** What every handle made from one {@link openDqlite} shares. */
interface DqliteState {
  readonly options: ResolvedDqliteOptions;
  readonly cluster: Cluster;
  readonly provider: DqliteProvider;
  readonly settings: HandleSettings;
}

/**
 * A handle on a database of a dqlite cluster: the same query API, transactions, middleware chain and coded errors
 * as a local rapsqlite `Database`, over dqlite's wire protocol. Made by {@link openDqlite}. Besides the query API it
 * lists the cluster, reports the leader and its connections, and can hand leadership to another node.
 */
export class DqliteDatabase extends Database {
  readonly #state: DqliteState;

  /** @internal Use {@link openDqlite}. */
  constructor(state: DqliteState, middleware: readonly Middleware[]) {
    super({ provider: state.provider, settings: state.settings }, middleware);
    this.#state = state;
  }

  /** @internal */
  protected override derive(middleware: readonly Middleware[]): DqliteDatabase {
    return new DqliteDatabase(this.#state, middleware);
  }

  /** Always false: a dqlite handle writes through the leader. */
  override get readonly(): boolean {
    return false;
  }

  /** The leader as the client last found it, or undefined before it found one. */
  get leader(): DqliteLeader | undefined {
    return this.#state.cluster.leader;
  }

  /** Lists the cluster's nodes and their roles, as the leader knows them (and remembers them for finding the leader). */
  cluster(): Promise<DqliteNode[]> {
    return this.#state.provider.primary.listNodes();
  }

  /**
   * Asks the leader to hand leadership to node `id` (a voter), for maintenance. Calls in flight on the old leader
   * answer as during a failover; the next ones go to the new leader.
   */
  async transferLeadership(id: bigint): Promise<void> {
    if (typeof id !== 'bigint') throw invalidArgument('transferLeadership() takes a node id (a bigint from cluster())');
    await this.#state.provider.primary.transfer(id);
  }

  /** Calls `listener` each time the client finds the leader at a new node. Returns a function that removes it. */
  onLeaderChange(listener: (change: LeaderChange) => void): () => void {
    if (typeof listener !== 'function') throw invalidArgument('onLeaderChange() takes a function');
    return this.#state.cluster.onLeaderChange(listener);
  }

  /** The connections, queues and leader, now. */
  stats(): DqliteStats {
    const provider = this.#state.provider;
    return Object.freeze({
      leader: this.#state.cluster.leader,
      leaderChanges: this.#state.cluster.changes,
      waiting: provider.waiting,
      connections: provider.connections.map((c) =>
        Object.freeze({ connection: c.info, connected: c.connected, queued: c.queued, inFlight: c.inFlight, cursors: c.cursors, sessionsLost: c.sessionsLost }),
      ),
    });
  }
}

/**
 * Opens a database of a dqlite cluster, given a `dqlite://host:port[,host:port…]/database` URL (or the same as
 * options). Any node that answers is enough: the client asks it for the leader, connects there, and keeps finding the
 * leader again when it changes. Resolves once the first connection is open; fails with
 * `ERR_RAPSQLITE_DQLITE_NO_LEADER` when no leader answered within `leaderTimeoutMs`.
 *
 * @example
 * ```ts
 * import { openDqlite } from '@rapsqlite/dqlite';
 *
 * await using db = await openDqlite('dqlite://127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003/app');
 * await db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)');
 * await db.transaction(async (tx) => {
 *   await tx.run('INSERT INTO notes (body) VALUES (?)', ['replicated to a quorum before this resolves']);
 * });
 * console.log(await db.all('SELECT * FROM notes'), db.leader);
 * ```
 */
export async function openDqlite(target: string | DqliteOptions, options?: DqliteOptions): Promise<DqliteDatabase> {
  const resolved = resolveDqliteOptions(target, options);
  const cluster = new Cluster(resolved);
  const writer = new DqliteConnection(cluster, resolved, 'writer');
  const readers = Array.from({ length: resolved.readers }, () => new DqliteConnection(cluster, resolved, 'reader'));
  const provider = new DqliteProvider(resolved.url, writer, readers, resolved.readYourWrites);
  await writer.connect();
  // Learn the other nodes now, so that losing every configured address still leaves some to try.
  await writer.listNodes().catch(() => undefined);
  const settings: HandleSettings = Object.freeze({ integers: resolved.integers, timeoutMs: resolved.timeoutMs, statementTiming: false, readonly: false });
  return new DqliteDatabase(Object.freeze({ options: resolved, cluster, provider, settings }), resolved.middleware);
}
