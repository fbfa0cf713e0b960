// A process that opens a database, waits for the parent's "go", runs the migrator and reports what it saw.
import { open } from '@rapsqlite/engine';
import { createMigrator, type MigratorEvent } from '../../src/index.ts';

const [path, dir, lockTimeoutMs] = process.argv.slice(2) as [string, string, string];
const db = await open(path);
const events: MigratorEvent['type'][] = [];
process.once('message', async () => {
  const goAt = Date.now();
  try {
    const result = await createMigrator(db, {
      dir,
      lockTimeoutMs: Number(lockTimeoutMs),
      onEvent: (event) => {
        events.push(event.type);
        if (event.type === 'start') process.send!({ type: 'started', name: event.name });
      },
    }).up();
    process.send!({ type: 'done', pid: process.pid, runs: result.runs.map((r) => r.name), waitedMs: result.waitedMs, events, goAt, doneAt: Date.now() });
  } catch (error) {
    process.send!({ type: 'failed', pid: process.pid, code: (error as { code?: string }).code, events });
  }
  await db.close();
  process.disconnect();
});
process.send!({ type: 'ready' });
