import type { Database } from '@rapsqlite/engine';

/**
 * Whether a value is a rapsqlite handle: an engine `Database` or a `Pool` (a `Database` subclass), or anything shaped
 * like one (`transaction`, `get` and `close` methods). The check is by shape, not `instanceof`, so a handle from a
 * second copy of the engine in `node_modules` passes too. It says nothing about whether the handle is still open
 * (read `handle.closed` for that).
 *
 * @example
 * ```ts
 * if (!isHandle(options.database)) throw invalidArgument('`database` must be an open rapsqlite Database or Pool');
 * ```
 */
export function isHandle(value: unknown): value is Database {
  const v = value as Partial<Record<string, unknown>> | null;
  return typeof v === 'object' && v !== null && typeof v['transaction'] === 'function' && typeof v['close'] === 'function' && typeof v['get'] === 'function';
}
