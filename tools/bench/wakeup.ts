// The floor under an awaited call: a bare round trip between the caller's thread and a worker, with no SQLite and no
// rapsqlite code, through each cross-thread signal Node offers. It answers "how fast could one awaited query be if
// the worker and the caller did no work at all", and which wake-up to build on. Run:
//   node tools/bench/wakeup.ts [--calls 30000] [--rounds 5]
// Each transport runs with a 1 ms setInterval alive (as in a server and in the benchmark's loop probe) and without.
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.ts';
import { median } from './stats.ts';

/** How long the worker polls for the next request before it sleeps (the engine's default `spinMicros`). */
const WORKER_POLL_MS = 0.05;
/** How long the caller polls for a reply before it returns to its event loop, in the caller-poll transport. */
const CALLER_POLL_MS = 0.04;

type Transport = 'port' | 'port-no-poll' | 'caller-poll' | 'wait-async';
const TRANSPORTS: readonly Transport[] = ['port', 'port-no-poll', 'caller-poll', 'wait-async'];
/** A request and a reply the size of a point get's (the shapes rapsqlite sends). */
const request = (i: number): unknown[] => [i, 3, 'SELECT * FROM t WHERE id = ?', [i], 0, undefined];
const reply = (i: number): unknown[] => [i, 1, [0, 0, 2, [i, 'abcdefabcdef0123456789'], 0], 0];
/** `Atomics.waitAsync` (ES2024; Node ≥ 16), typed here because the project's lib is older. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<unknown> | string };
}).waitAsync;

interface WorkerSetup {
  readonly transport: Transport;
  readonly port: MessagePort;
  readonly shared: SharedArrayBuffer;
}

function serveInWorker({ transport, port, shared }: WorkerSetup): void {
  if (transport === 'wait-async') {
    // flags[0]: the caller's request count; flags[1]: the worker's reply count; values pass through the port.
    const flags = new Int32Array(shared);
    let seen = 0;
    for (;;) {
      const until = performance.now() + WORKER_POLL_MS;
      while (Atomics.load(flags, 0) === seen && performance.now() < until);
      if (Atomics.load(flags, 0) === seen) Atomics.wait(flags, 0, seen);
      seen = Atomics.load(flags, 0);
      const message = receiveMessageOnPort(port);
      port.postMessage(reply((message?.message as number[] | undefined)?.[0] ?? 0));
      Atomics.store(flags, 1, seen);
      Atomics.notify(flags, 1);
    }
  }
  const poll = transport !== 'port-no-poll';
  port.on('message', (first: number[]) => {
    let message: number[] | undefined = first;
    while (message !== undefined) {
      port.postMessage(reply(message[0] ?? 0));
      if (!poll) return;
      const until = performance.now() + WORKER_POLL_MS;
      let next: { message: unknown } | undefined;
      while ((next = receiveMessageOnPort(port)) === undefined && performance.now() < until);
      message = next?.message as number[] | undefined;
    }
  });
}

async function measure(transport: Transport, timer: boolean, calls: number, rounds: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const worker = new Worker(new URL(import.meta.url), { workerData: { transport, port: port2, shared }, transferList: [port2] });
  let resolve: ((value: unknown) => void) | undefined;
  if (transport !== 'wait-async') {
    port1.on('message', (message: unknown) => {
      const settle = resolve;
      resolve = undefined;
      settle?.(message);
    });
  }
  let sent = 0;
  const call = (i: number): Promise<unknown> => {
    if (transport === 'wait-async') {
      port1.postMessage(request(i));
      Atomics.store(flags, 0, ++sent);
      Atomics.notify(flags, 0);
      const waited = waitAsync(flags, 1, sent - 1);
      const done = (): unknown => receiveMessageOnPort(port1)?.message;
      return waited.async ? (waited.value as Promise<unknown>).then(done) : Promise.resolve(done());
    }
    return new Promise((settle) => {
      resolve = settle;
      port1.postMessage(request(i));
      if (transport !== 'caller-poll') return;
      const until = performance.now() + CALLER_POLL_MS;
      let next: { message: unknown } | undefined;
      while ((next = receiveMessageOnPort(port1)) === undefined && performance.now() < until);
      if (next !== undefined) {
        resolve = undefined;
        settle(next.message);
      }
    });
  };
  const interval = timer ? setInterval(() => undefined, 1) : undefined;
  try {
    for (let i = 0; i < Math.min(calls, 5000); i++) await call(i);
    const perCall: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) await call(i);
      perCall.push(((performance.now() - start) * 1000) / calls);
    }
    return median(perCall);
  } finally {
    clearInterval(interval);
    port1.close();
    await worker.terminate();
  }
}

if (!isMainThread) {
  serveInWorker(workerData as WorkerSetup);
} else {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '30000' }, rounds: { type: 'string', default: '5' } } });
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const machine = describeMachine();
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; node ${machine.node}; load average ${machine.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(`round trip, median of ${rounds} rounds of ${calls} awaited calls, µs per call`);
  console.log('transport      with a 1 ms timer   without');
  for (const transport of TRANSPORTS) {
    const withTimer = await measure(transport, true, calls, rounds);
    const without = await measure(transport, false, calls, rounds);
    console.log(`${transport.padEnd(14)} ${withTimer.toFixed(1).padStart(17)}   ${without.toFixed(1).padStart(7)}`);
  }
}
