/** Telemetry of a settled call, handed to the SDK after the caller's promise settled. It never throws. */
export interface Deferred {
  record(): void;
}

/**
 * The calls of every `otel()` middleware of this copy of the package waiting to be recorded, in the order they
 * settled: one queue, so one flush records them all, and spans reach the span processors in the order their calls
 * ended, as when they are recorded at once.
 */
let queue: Deferred[] = [];
let scheduled = false;
let exitHooked = false;

/**
 * Queues a settled call's telemetry to be recorded once the current microtasks have run, unless `limit` calls are
 * already waiting (then the caller records it at once, so a burst cannot grow the queue without bound).
 */
export function defer(task: Deferred, limit: number): boolean {
  if (queue.length >= limit) return false;
  queue.push(task);
  if (!scheduled) {
    scheduled = true;
    // A tick queued now runs once the microtasks have drained: after the caller's code resumed and sent its next
    // query (the engine posts requests from a microtask), so the SDK's work overlaps the worker's, without the cost
    // of a turn of the event loop (setImmediate). Queued ticks always run before the process can exit on its own.
    process.nextTick(flushDeferred);
    if (!exitHooked) {
      exitHooked = true;
      // process.exit() ends the process without another turn: record what waits, synchronously, before it goes.
      process.on('exit', flushDeferred);
    }
  }
  return true;
}

/** Records every waiting call now. Calls deferred while recording (a reentrant flush) are recorded too. */
export function flushDeferred(): void {
  scheduled = false;
  while (queue.length > 0) {
    const batch = queue;
    // A span processor may flush again from within a record (forceFlush from an exporter): it finds a fresh queue.
    queue = [];
    for (const task of batch) {
      try {
        task.record();
      } catch {
        // record() reports its own failures; nothing may escape into the event loop (an uncaught exception).
      }
    }
  }
}

/** How many calls are waiting to be recorded (for tests). */
export function deferredCount(): number {
  return queue.length;
}
