/**
 * Finds the engine's worker threads from outside: Node emits `'worker'` on `process` for every Worker created in
 * this thread, so a test can terminate the thread behind a connection at any moment (an external kill, beside the
 * `die()` user function that ends it from inside), without any hook in the library.
 */
import type { Worker } from 'node:worker_threads';

export class WorkerWatch {
  readonly workers: Worker[] = [];
  readonly #exited = new Set<Worker>();
  readonly #listener = (worker: Worker): void => {
    this.workers.push(worker);
    worker.once('exit', () => this.#exited.add(worker));
  };

  constructor() {
    process.on('worker', this.#listener);
  }

  /** The worker created last. */
  get latest(): Worker {
    const worker = this.workers.at(-1);
    if (worker === undefined) throw new Error('No worker was created since the watch started');
    return worker;
  }

  /** The worker with this thread id (a user function can report it from inside). */
  byThreadId(id: number): Worker {
    const worker = this.workers.find((w) => w.threadId === id);
    if (worker === undefined) throw new Error(`No watched worker has thread id ${id}`);
    return worker;
  }

  /** Workers created since the watch started that have not exited yet. */
  get alive(): Worker[] {
    return this.workers.filter((w) => !this.#exited.has(w));
  }

  /** Terminates `worker`; resolves once it has stopped. */
  static async kill(worker: Worker): Promise<void> {
    await worker.terminate();
  }

  stop(): void {
    process.off('worker', this.#listener);
  }
}
