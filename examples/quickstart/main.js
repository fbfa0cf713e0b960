// rapsqlite quickstart: load a few hundred thousand rows, serve many concurrent queries, then run one heavy report
// twice — through rapsqlite and through blocking better-sqlite3 — while a 1 ms timer measures the event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from '@rapsqlite/engine';

const Blocking = createRequire(import.meta.url)('better-sqlite3');
const ROWS = 200_000;
const CITIES = ['Lisbon', 'Lagos', 'Lima', 'Lyon', 'Leeds', 'Lahore', 'Luanda', 'Lhasa'];

/** Runs `work` while a 1 ms timer records the event loop's largest gap between ticks. */
async function withLoopProbe(work) {
  let last = performance.now();
  let largest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    largest = Math.max(largest, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  const result = await work();
  const elapsed = performance.now() - start;
  // Let the timer fire once more, so a loop that was blocked until now shows its whole gap.
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(timer);
  return { result, elapsed, largestGap: largest };
}

const ms = (n) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-demo-'));
const file = join(dir, 'demo.db');

try {
  const db = await open(file, { synchronous: 'normal' });
  await db.exec(`CREATE TABLE users (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, city TEXT NOT NULL, score REAL NOT NULL, bio TEXT)`);

  let t = performance.now();
  const batch = 10_000;
  for (let start = 0; start < ROWS; start += batch) {
    const rows = Array.from({ length: batch }, (_, k) => {
      const i = start + k;
      return [`user${i}`, `user${i}@example.org`, CITIES[i % CITIES.length], (i * 7919) % 1000 / 10, `bio of user ${i} `.repeat(3)];
    });
    await db.runMany('INSERT INTO users (name, email, city, score, bio) VALUES (?, ?, ?, ?, ?)', rows);
  }
  console.log(`Loaded ${ROWS.toLocaleString('en')} rows with runMany in ${ms(performance.now() - t)}.`);

  const lookups = 20_000;
  t = performance.now();
  const found = await Promise.all(
    Array.from({ length: lookups }, (_, i) => db.get('SELECT id, name, city FROM users WHERE id = ?', [1 + ((i * 104_729) % ROWS)])),
  );
  const elapsed = performance.now() - t;
  console.log(
    `${lookups.toLocaleString('en')} concurrent point queries in ${ms(elapsed)} ` +
      `(${Math.round(lookups / (elapsed / 1000)).toLocaleString('en')} queries/s); e.g. ${JSON.stringify(found[1])}`,
  );

  // One deliberately heavy report: every user joined with four "quarters", grouped by city (800 000 joined rows).
  const report = `
    SELECT city, count(*) AS rows_scanned, round(avg(score * q), 2) AS weighted, max(length(bio) + q) AS longest
    FROM users, (WITH RECURSIVE quarter(q) AS (SELECT 1 UNION ALL SELECT q + 1 FROM quarter WHERE q < 4) SELECT q FROM quarter)
    GROUP BY city ORDER BY city`;

  const viaRapsqlite = await withLoopProbe(() => db.all(report));
  await db.close();

  const blocking = new Blocking(file);
  const viaBlocking = await withLoopProbe(async () => blocking.prepare(report).all());
  blocking.close();

  console.log('\nThe heavy report, by city:');
  console.table(viaRapsqlite.result);
  console.log('While the heavy report ran:');
  console.table([
    { driver: 'rapsqlite (worker thread)', 'query time': ms(viaRapsqlite.elapsed), 'largest event-loop gap': ms(viaRapsqlite.largestGap) },
    { driver: 'better-sqlite3 (blocking)', 'query time': ms(viaBlocking.elapsed), 'largest event-loop gap': ms(viaBlocking.largestGap) },
  ]);
  console.log(
    `The same query froze a blocking driver's event loop for ${ms(viaBlocking.largestGap)}; ` +
      `through rapsqlite no timer waited longer than ${ms(viaRapsqlite.largestGap)}.`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
