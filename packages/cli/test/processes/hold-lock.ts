// Holds a lock on a database until killed. Default: BEGIN IMMEDIATE and a write, never committed. With 'exclusive':
// the file in the rollback-journal mode under BEGIN EXCLUSIVE and no write (no reader or backup gets in; nothing is
// left to roll back when the process is killed).
import { open } from '@rapsqlite/engine';

const exclusive = process.argv[3] === 'exclusive';
const db = await open(process.argv[2]!, exclusive ? { journalMode: 'delete' } : {});
await db.transaction(
  async (tx) => {
    if (exclusive) await tx.get('SELECT count(*) FROM sqlite_schema');
    else await tx.exec('CREATE TABLE IF NOT EXISTS held (x)');
    process.send!('locked');
    await new Promise(() => setInterval(() => {}, 1000));
  },
  exclusive ? { mode: 'exclusive' } : {},
);
