import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { fill, integrity, openRaw, tempFile } from '../driver-helpers.ts';

interface Message {
  progress?: { totalPages: number; remainingPages: number };
  result?: { totalPages: number; bytes: number };
  error?: { code?: string };
}

function run(source: string, destination: string, pagesPerStep: number, abortAfter?: number) {
  const worker = new Worker(new URL('../fixtures/backup-worker.ts', import.meta.url), { workerData: { source, destination, pagesPerStep } });
  const progress: Message['progress'][] = [];
  return new Promise<{ progress: typeof progress; final: Message }>((resolve, reject) => {
    worker.on('message', (m: Message) => {
      if (m.progress !== undefined) {
        progress.push(m.progress);
        if (abortAfter !== undefined && progress.length === abortAfter) worker.postMessage({ abort: 'user' });
        return;
      }
      resolve({ progress, final: m });
    });
    worker.on('error', reject);
  });
}

describe('backup in a worker thread', () => {
  it('streams the progress of every step to the caller thread and ends with a file that passes integrity_check', async () => {
    const source = tempFile('source.db');
    const db = openRaw(source);
    fill(db, 20000, 400);
    db.close();
    const destination = tempFile('copy.db');
    const { progress, final } = await run(source, destination, 64);
    expect(final.result?.bytes).toBeGreaterThan(8_000_000);
    expect(progress.length).toBeGreaterThan(30);
    expect(progress.at(-1)?.remainingPages).toBe(0);
    expect(integrity(destination)).toBe('ok');
  });

  it('aborts from the caller between steps, and the partial file is gone', async () => {
    const source = tempFile('source.db');
    const db = openRaw(source);
    fill(db, 20000, 400);
    db.close();
    const destination = tempFile('copy.db');
    const { final } = await run(source, destination, 16, 3);
    expect(final.error?.code).toBe('ERR_RAPSQLITE_ABORTED');
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(`${destination}-journal`)).toBe(false);
  });
});
