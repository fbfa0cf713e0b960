// Writes to a database from another process until killed: one autocommit insert every millisecond or so, each a
// commit another connection's backup sees. Sends 'writing' once the first row is in.
import { open } from '@rapsqlite/engine';

const db = await open(process.argv[2]!, { busyTimeoutMs: 5000 });
await db.exec('CREATE TABLE IF NOT EXISTS ticks (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)');
let sent = false;
for (;;) {
  await db.run('INSERT INTO ticks (at) VALUES (?)', [Date.now()]);
  if (!sent) {
    sent = true;
    process.send!('writing');
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
