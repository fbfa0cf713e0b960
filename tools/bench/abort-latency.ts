// Time from `abort()` to the rejection of a running query, with the native companion (SQLite is interrupted) or,
// with RAPSQLITE_NO_COMPANION=1, without it (the query is abandoned). Run after `npm run build`:
//   node tools/bench/abort-latency.ts
//   RAPSQLITE_NO_COMPANION=1 node tools/bench/abort-latency.ts
import { open } from '@rapsqlite/engine';

const ROUNDS = 7;
const LONG = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) SELECT count(*) FROM c';

const db = await open(':memory:');
const times: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const controller = new AbortController();
  const running = db.get(LONG, undefined, { signal: controller.signal }).catch((error: unknown) => error);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const start = performance.now();
  controller.abort();
  const error = (await running) as { code?: string };
  times.push(performance.now() - start);
  if (error?.code !== 'ERR_RAPSQLITE_ABORTED') throw new Error(`expected ERR_RAPSQLITE_ABORTED, got ${String(error?.code)}`);
  // The connection serves the next call.
  await db.get('SELECT 1');
}
times.sort((a, b) => a - b);
const companion = process.env['RAPSQLITE_NO_COMPANION'] === '1' ? 'without the companion' : 'with the companion';
console.log(
  `${companion}: abort() to rejection, median ${times[ROUNDS >> 1]!.toFixed(3)} ms ` +
    `(min ${times[0]!.toFixed(3)}, max ${times[ROUNDS - 1]!.toFixed(3)}, ${ROUNDS} runs)`,
);
// Without the companion the abandoned queries still run in their old threads; do not wait for them.
process.exit(0);
