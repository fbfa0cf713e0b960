import { EventEmitter } from 'node:events';

/** Any callback node-sqlite3 accepts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: any, ...args: any[]) => unknown;

/**
 * Calls a user callback. A throw from it is rethrown as an uncaught exception on the next tick, as a throw from a
 * node-sqlite3 callback is, instead of becoming a rejected promise inside this package or stopping its queue.
 */
export function invoke(fn: AnyFunction, self: unknown, args: readonly unknown[]): void {
  try {
    fn.apply(self, args as unknown[]);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** {@link invoke} with one argument, without an arguments array. */
export function invoke1(fn: AnyFunction, self: unknown, a: unknown): void {
  try {
    fn.call(self, a);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** {@link invoke} with two arguments, without an arguments array. */
export function invoke2(fn: AnyFunction, self: unknown, a: unknown, b: unknown): void {
  try {
    fn.call(self, a, b);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/**
 * Emits an event on a node-sqlite3 object. An `'error'` without listeners throws, as EventEmitter does; the throw
 * becomes an uncaught exception, as it does from node-sqlite3's native emit.
 */
export function emitSafely(target: EventEmitter, event: string, args: readonly unknown[]): void {
  invoke(target.emit as AnyFunction, target, [event, ...args]);
}

/**
 * Copies EventEmitter's prototype methods onto a class's prototype, as node-sqlite3's `inherits()` does: the objects
 * behave as emitters without EventEmitter in their prototype chain (so `instanceof EventEmitter` is false, as there).
 */
export function inheritEmitter(target: { prototype: object }): void {
  const proto = EventEmitter.prototype as unknown as Record<string, unknown>;
  const dest = target.prototype as Record<string, unknown>;
  for (const key in proto) dest[key] = proto[key];
}

/** A function as the last argument, or undefined (node-sqlite3's `args[args.length - 1]` test). */
export function lastFunction(args: ArrayLike<unknown>): AnyFunction | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as AnyFunction) : undefined;
}

/**
 * The class as node-sqlite3 exposes its native classes: calling it without `new` throws node-sqlite3's exact
 * TypeError ("Class constructors cannot be invoked without 'new'"); `new`, `instanceof`, subclassing and prototype
 * patching go to the class itself.
 */
export function requireNew<T extends abstract new (...args: never[]) => unknown>(ctor: T): T {
  return new Proxy(ctor, {
    apply() {
      throw new TypeError("Class constructors cannot be invoked without 'new'");
    },
  });
}
