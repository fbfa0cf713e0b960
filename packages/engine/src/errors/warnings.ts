/**
 * The catalogue of rapsqlite's process warnings: each has a stable code (listed in docs/errors.md) and is emitted
 * through `process.emitWarning`, at most once per process where the code says so.
 */

/** Every warning code rapsqlite emits. */
export const WARNING_CODES = [
  /** The native companion could not be loaded; cancellation and the authorizer degrade (once per process). */
  'RAPSQLITE_NO_COMPANION',
  /** A plugin failed inside its own code; the query went on (once per plugin instance). */
  'RAPSQLITE_PLUGIN_FAILURE',
  /** A listener of a pool event threw; the pool went on. */
  'RAPSQLITE_POOL_LISTENER_FAILURE',
  /** A pool connection was held longer than the pool's `leakDetectionMs`, and nobody listens to its `leak` event. */
  'RAPSQLITE_POOL_LEAK',
  /** The worker could not record some row changes for `db.onChange()` listeners (it ran out of memory). */
  'RAPSQLITE_CHANGES_LOST',
] as const;

/** One of {@link WARNING_CODES}. */
export type WarningCode = (typeof WARNING_CODES)[number];

const emitted = new Set<string>();

/**
 * Emits a warning with its code, as `process.emitWarning` does; with `once`, only the first time this code (and
 * key) is seen in the process. Never throws: a warning must not fail the work that raised it.
 */
export function emitRapsqliteWarning(code: WarningCode, message: string, options: { readonly once?: string; readonly type?: string } = {}): void {
  if (options.once !== undefined) {
    const key = `${code}:${options.once}`;
    if (emitted.has(key)) return;
    emitted.add(key);
  }
  try {
    process.emitWarning(message, { code, type: options.type ?? 'RapsqliteWarning' });
  } catch {
    // Nothing is left to report to.
  }
}
