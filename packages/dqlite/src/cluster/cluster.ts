import { randomBytes } from 'node:crypto';
import { NODE_ROLES, RequestType, ResponseType, type DqliteNodeRole } from '../protocol/constants.ts';
import { MessageReader, protocolError } from '../protocol/reader.ts';
import { WireSocket, type DialOptions } from '../protocol/wire-socket.ts';
import { MessageWriter } from '../protocol/writer.ts';
import { noLeaderError, serverError } from '../errors.ts';
import type { ResolvedDqliteOptions } from '../options.ts';

/** A node of a dqlite cluster, as the cluster lists it. */
export interface DqliteNode {
  /** The node's id in the cluster (a 64-bit number). */
  readonly id: bigint;
  /** Its database address, as the cluster knows it. */
  readonly address: string;
  /** Voter, standby or spare. */
  readonly role: DqliteNodeRole;
}

/** The leader as a node reported it: its id and address. */
export interface DqliteLeader {
  readonly id: bigint;
  readonly address: string;
}

/** A change of leader, as the client saw it. */
export interface LeaderChange {
  readonly leader: DqliteLeader;
  /** The leader before, if one was known. */
  readonly previous: DqliteLeader | undefined;
}

/** Reads the SERVERS response of a CLUSTER request (format 1: id, address, role). */
export function readNodes(body: Buffer): DqliteNode[] {
  const reader = new MessageReader(body);
  const count = reader.uint64();
  const nodes: DqliteNode[] = [];
  for (let i = 0; i < count; i++) {
    const id = reader.bigUint64();
    const address = reader.text();
    const role = NODE_ROLES[reader.uint64()] ?? 'spare';
    nodes.push(Object.freeze({ id, address, role }));
  }
  return nodes;
}

/** Fails with the server's error when `type` is a FAILURE, or a protocol error when it is not `expected`. */
export function expectResponse(type: number, body: Buffer, expected: number, sql?: string): MessageReader {
  if (type === ResponseType.failure) {
    const reader = new MessageReader(body);
    throw serverError(reader.uint64(), reader.text(), sql);
  }
  if (type !== expected) throw protocolError(`Expected a dqlite response of type ${expected}, got ${type}`);
  return new MessageReader(body);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the client knows of the cluster — the nodes (the configured ones and those a listing taught it) and the last
 * leader seen — and how to reach the leader: ask any node who leads, go there, and register as a client.
 */
export class Cluster {
  readonly #options: ResolvedDqliteOptions;
  readonly #dial: DialOptions;
  readonly #clientId = randomBytes(8).readBigUInt64LE() >> 1n;
  readonly #writer = new MessageWriter();
  #known: string[];
  #leader: DqliteLeader | undefined;
  readonly #listeners = new Set<(change: LeaderChange) => void>();
  /** Times a leader was found at an address other than the previous leader's. */
  changes = 0;

  constructor(options: ResolvedDqliteOptions) {
    this.#options = options;
    this.#dial = { tls: options.tls, timeoutMs: options.connectTimeoutMs };
    this.#known = [...options.nodes];
  }

  /** The leader last seen, if any. */
  get leader(): DqliteLeader | undefined {
    return this.#leader;
  }

  /** Every node address the client will try. */
  get nodes(): readonly string[] {
    return this.#known;
  }

  /** Calls `listener` whenever a connection finds the leader somewhere new. */
  onLeaderChange(listener: (change: LeaderChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds the nodes of a cluster listing to those tried when looking for the leader. */
  learn(nodes: readonly DqliteNode[]): void {
    for (const node of nodes) if (!this.#known.includes(node.address)) this.#known.push(node.address);
  }

  /**
   * Connects to the leader and registers as a client: tries the last leader first, then every node, following the
   * leader a node names, in rounds with a growing pause, until `deadline` (a `performance.now()` time).
   */
  async connectLeader(deadline = performance.now() + this.#options.leaderTimeoutMs): Promise<WireSocket> {
    let pause = 20;
    let lastError: unknown;
    for (;;) {
      const order = this.#leader === undefined ? this.#known : [this.#leader.address, ...this.#known.filter((a) => a !== this.#leader?.address)];
      for (const address of order) {
        if (performance.now() >= deadline) throw noLeaderError(this.#options.leaderTimeoutMs, lastError);
        try {
          const found = await this.#attempt(address);
          if (found instanceof WireSocket) return found;
          if (found === undefined) continue;
          // The node named another as leader: ask that one at once.
          const followed = await this.#attempt(found);
          if (followed instanceof WireSocket) return followed;
        } catch (err) {
          lastError = err;
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) throw noLeaderError(this.#options.leaderTimeoutMs, lastError);
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, 500);
    }
  }

  /**
   * One node: the socket when it is the leader (registered), the address it names as leader otherwise, or undefined
   * when it knows none.
   */
  async #attempt(address: string): Promise<WireSocket | string | undefined> {
    const socket = await WireSocket.connect(address, this.#dial, this.#options.addressMap[address] ?? address);
    try {
      const timer = setTimeout(() => socket.destroy(new Error(`${address} did not answer within ${this.#options.connectTimeoutMs} ms`)), this.#options.connectTimeoutMs);
      try {
        const leader = await socket.call(this.#writer.reset().uint64(0).finish(RequestType.leader));
        const reader = expectResponse(leader.type, leader.body, ResponseType.server);
        const id = reader.bigUint64();
        const named = reader.text();
        if (named === '') {
          socket.destroy();
          return undefined;
        }
        if (named !== address) {
          socket.destroy();
          return named;
        }
        const welcome = await socket.call(this.#writer.reset().uint64(this.#clientId).finish(RequestType.client));
        expectResponse(welcome.type, welcome.body, ResponseType.welcome);
        this.#found({ id, address });
        return socket;
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  #found(leader: DqliteLeader): void {
    const previous = this.#leader;
    if (previous !== undefined && previous.address === leader.address && previous.id === leader.id) return;
    this.#leader = Object.freeze(leader);
    if (previous !== undefined) this.changes++;
    for (const listener of this.#listeners) {
      try {
        listener({ leader: this.#leader, previous });
      } catch {
        // A listener's failure is its own; finding the leader goes on.
      }
    }
  }
}
