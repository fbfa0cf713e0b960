// A writer process for contention.test.ts: waits for "go", then runs many short write transactions on a shared
// file with busyTimeoutMs 0, so that every lock conflict surfaces at once as SQLITE_BUSY*. Half of the transactions
// are deferred read-then-write (they meet SQLITE_BUSY_SNAPSHOT), half immediate (they meet SQLITE_BUSY at BEGIN).
// It counts the BUSY errors that reached it (the "application") and reports them as JSON on its IPC channel.
import { open, type Database, type Middleware } from '@rapsqlite/engine';
import { retry } from '../../src/index.ts';

const [path, mode, countText, idText] = process.argv.slice(2);
const count = Number(countText);
const id = Number(idText);
const useRetry = mode === 'retry';

const busy: Record<string, number> = {};
const other: Record<string, number> = {};
let committed = 0;
let retries = 0;
let openAttempts = 0;

const middleware: Middleware[] = useRetry ? [retry({ maxRetryTimeMs: 120_000, onRetry: () => void retries++ })] : [];

async function openShared(): Promise<Database> {
  // Opening sets pragmas and may itself meet a lock held by a sibling; that is set-up, not part of the measure.
  for (;;) {
    openAttempts++;
    try {
      return await open(path as string, { busyTimeoutMs: 0, synchronous: 'normal', middleware });
    } catch (err) {
      if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY') || openAttempts > 1000) throw err;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

const db = await openShared();
await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  process.send?.({ type: 'ready' });
});

for (let i = 0; i < count; i++) {
  try {
    if (i % 2 === 0) {
      await db.transaction(
        async (tx) => {
          await tx.run('UPDATE counter SET n = n + 1');
          await tx.run('INSERT INTO log (worker, i) VALUES (?, ?)', [id, i]);
        },
        { mode: 'immediate' },
      );
    } else {
      await db.transaction(
        async (tx) => {
          const row = await tx.get<{ n: number }>('SELECT n FROM counter');
          await tx.run('UPDATE counter SET n = ?', [(row?.n ?? 0) + 1]);
          await tx.run('INSERT INTO log (worker, i) VALUES (?, ?)', [id, i]);
        },
        { mode: 'deferred' },
      );
    }
    committed++;
  } catch (err) {
    const code = String((err as { code?: unknown }).code);
    const bucket = code.startsWith('SQLITE_BUSY') ? busy : other;
    bucket[code] = (bucket[code] ?? 0) + 1;
  }
}

await db.close();
process.send?.({ type: 'done', id, committed, busy, other, retries, openAttempts }, () => process.exit(0));
