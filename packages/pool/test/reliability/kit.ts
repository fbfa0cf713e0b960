/**
 * The reliability kit shared with the engine's suite (sizing, seeded randomness, summary lines, child processes, the
 * ledger, the storm, the targeted cancellation cases, hostile names, worker capture). It lives beside the engine's
 * tests and depends on no package, so the pool's suite runs the very same checks against a pool.
 */
export * from '../../../engine/test/reliability/support.ts';
export * from '../../../engine/test/reliability/ledger.ts';
export * from '../../../engine/test/reliability/kill-loop.ts';
export * from '../../../engine/test/reliability/storm.ts';
export * from '../../../engine/test/reliability/cases.ts';
export * from '../../../engine/test/reliability/names.ts';
export * from '../../../engine/test/reliability/workers.ts';
export { commitForever } from '../../../engine/test/reliability/writer.ts';
export { contend } from '../../../engine/test/reliability/contend.ts';
export { checkContention } from '../../../engine/test/reliability/contention-run.ts';

/** The engine's own contention writer, so that engine and pool processes contend for one file. */
export const ENGINE_CONTENDER = new URL('../../../engine/test/reliability/children/contender.ts', import.meta.url);
