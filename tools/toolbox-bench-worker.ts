// The worker side of tools/toolbox-bench.ts: runs the toolbox's backup function next to a better-sqlite3 connection,
// as the engine's worker will, while the same connection keeps taking writes between the backup's steps.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { backupDatabase, type BackupSource } from '../packages/engine/src/worker/tools/backup.ts';

type Db = BackupSource & { close(): void; pragma(s: string): unknown };
const Driver = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Db;
const { source, destination, pagesPerStep, writeEveryMs } = workerData as { source: string; destination: string; pagesPerStep: number; writeEveryMs: number };
const db = new Driver(source);
db.pragma('journal_mode = wal');
db.pragma('synchronous = normal');
const insert = db.prepare('INSERT INTO log (note) VALUES (?)') as unknown as { run(note: string): unknown };
let writes = 0;
let steps = 0;
// Writes through the backup's own connection, between its steps, as calls from other callers would arrive.
const writer = writeEveryMs > 0 ? setInterval(() => insert.run(`during ${writes++}`), writeEveryMs) : undefined;
const started = performance.now();
backupDatabase(db, { destination, pagesPerStep }, { onProgress: () => steps++ }).then(
  (result) => {
    if (writer !== undefined) clearInterval(writer);
    const ms = performance.now() - started;
    db.close();
    parentPort!.postMessage({ result, ms, writes, steps });
  },
  (err: Error) => {
    if (writer !== undefined) clearInterval(writer);
    db.close();
    parentPort!.postMessage({ error: err.message });
  },
);
