// Holds a write lock on a database until killed: BEGIN IMMEDIATE and a write, never committed.
import { open } from '@rapsqlite/engine';

const db = await open(process.argv[2]!);
await db.transaction(async (tx) => {
  await tx.exec('CREATE TABLE IF NOT EXISTS held (x)');
  process.send!('locked');
  await new Promise(() => setInterval(() => {}, 1000));
});
