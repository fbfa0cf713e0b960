import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNodes } from '../../src/cluster/cluster.ts';
import { RequestType, ResponseType } from '../../src/protocol/constants.ts';
import { MessageReader } from '../../src/protocol/reader.ts';
import { WireSocket } from '../../src/protocol/wire-socket.ts';
import { MessageWriter } from '../../src/protocol/writer.ts';

/** A node of a test cluster: a `dqlite-demo` process on loopback ports, with its own data folder. */
export interface TestNode {
  readonly index: number;
  /** Its database (Raft and client) address. */
  readonly address: string;
  readonly apiAddress: string;
  readonly dir: string;
  process: ChildProcess | undefined;
  log: string;
}

/** A cluster of `dqlite-demo` processes the tests start, kill, restart and stop. */
export interface TestCluster {
  readonly nodes: readonly TestNode[];
  readonly addresses: readonly string[];
  /** Kills a node's process at once (SIGKILL): no goodbye to clients or peers. */
  kill(index: number): Promise<void>;
  /** Starts a killed node again on its data folder; it rejoins and catches up. */
  restart(index: number): void;
  /** The index of the node that names itself leader, once there is one. */
  leaderIndex(timeoutMs?: number): Promise<number>;
  /** Waits until every node lists `size` voters. */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const BINARY = 'dqlite-demo';

/** Fails with a clear message when the server binary is missing (CI installs Debian's go-dqlite). */
export function assertDqliteAvailable(): void {
  const probe = spawnSync(BINARY, ['--help'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    throw new Error(`${BINARY} is not installed: these tests run a real dqlite cluster (apt-get install -y go-dqlite)`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const writer = new MessageWriter();

/** Asks one node a single question on a fresh socket; undefined when it does not answer. */
async function ask(address: string, type: number, word: number): Promise<{ type: number; body: Buffer } | undefined> {
  let socket: WireSocket | undefined;
  try {
    socket = await WireSocket.connect(address, { tls: undefined, timeoutMs: 500 });
    const timer = setTimeout(() => socket?.destroy(), 1000);
    const answer = await socket.call(writer.reset().uint64(word).finish(type));
    clearTimeout(timer);
    return answer;
  } catch {
    return undefined;
  } finally {
    socket?.destroy();
  }
}

async function leaderOf(address: string): Promise<string | undefined> {
  const answer = await ask(address, RequestType.leader, 0);
  if (answer === undefined || answer.type !== ResponseType.server) return undefined;
  const reader = new MessageReader(answer.body);
  reader.bigUint64();
  const leader = reader.text();
  return leader === '' ? undefined : leader;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `size` nodes: the first bootstraps the cluster, the others join it. */
export async function startCluster(size = 3): Promise<TestCluster> {
  assertDqliteAvailable();
  const root = await mkdtemp(join(tmpdir(), 'rapsqlite-dqlite-'));
  const nodes: TestNode[] = [];
  for (let index = 0; index < size; index++) {
    nodes.push({
      index,
      address: `127.0.0.1:${await freePort()}`,
      apiAddress: `127.0.0.1:${await freePort()}`,
      dir: join(root, `node${index}`),
      process: undefined,
      log: '',
    });
  }
  const launch = (node: TestNode): void => {
    const args = ['--api', node.apiAddress, '--db', node.address, '-D', node.dir];
    if (node.index > 0) args.push('--join', (nodes[0] as TestNode).address);
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      node.log = (node.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', () => {
      if (node.process === child) node.process = undefined;
    });
    node.process = child;
  };
  const { mkdir } = await import('node:fs/promises');
  for (const node of nodes) await mkdir(node.dir, { recursive: true });
  launch(nodes[0] as TestNode);
  const cluster: TestCluster = {
    nodes,
    addresses: nodes.map((node) => node.address),
    async kill(index) {
      const child = nodes[index]?.process;
      if (child === undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    restart(index) {
      const node = nodes[index] as TestNode;
      if (node.process !== undefined) throw new Error(`node ${index} is running`);
      launch(node);
    },
    async leaderIndex(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const node of nodes) {
          if (node.process === undefined) continue;
          const leader = await leaderOf(node.address);
          const at = nodes.findIndex((n) => n.address === leader && n.process !== undefined);
          // A node may name a leader from before a restart: only one that names itself leads.
          if (at !== -1 && (await leaderOf(leader as string)) === leader) return at;
        }
        await sleep(100);
      }
      throw new Error(`No leader within ${timeoutMs} ms:\n${nodes.map((n) => `node ${n.index}: ${n.log.slice(-2000)}`).join('\n')}`);
    },
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const leader = nodes[await cluster.leaderIndex(Math.max(1, deadline - Date.now()))] as TestNode;
        const answer = await ask(leader.address, RequestType.cluster, 1);
        if (answer !== undefined && answer.type === ResponseType.servers) {
          const listed = readNodes(answer.body);
          if (listed.length === size && listed.every((node) => node.role === 'voter')) return;
        }
        await sleep(200);
      }
      throw new Error(`The cluster did not reach ${size} voters within ${timeoutMs} ms`);
    },
    async stop() {
      await Promise.all(nodes.map((node) => cluster.kill(node.index)));
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.leaderIndex();
    for (const node of nodes.slice(1)) launch(node);
    await cluster.ready();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
