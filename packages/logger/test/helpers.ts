import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions } from '@rapsqlite/engine';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-logger-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a database on a new file in a temporary folder; closed after the test. */
export async function openTemp(options?: DatabaseOptions, path = join(tempDir(), 'test.db')): Promise<Database> {
  const db = await open(path, options);
  cleanups.push(() => db.close());
  return db;
}

/** A parsed pino line. */
export type Line = Record<string, unknown> & { level: number; msg: string };

/** A real pino logger writing JSON lines into an array (pino writes synchronously to a plain stream). */
export function memoryPino(level = 'debug'): { log: Logger; lines: Line[]; raw: string[] } {
  const lines: Line[] = [];
  const raw: string[] = [];
  const log = pino(
    { level, base: null, timestamp: false },
    {
      write(chunk: string) {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as Line);
      },
    },
  );
  return { log, lines, raw };
}
