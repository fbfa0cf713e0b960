import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { retry } from '@rapsqlite/retry';
import { createMock } from '@rapsqlite/testing';
import { openDqlite, type DqliteDatabase } from '../src/index.ts';
import { codeOf, rejection } from './helpers/handles.ts';

describe('middleware on dqlite handles', () => {
  const opened: DqliteDatabase[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });

  it('lets the retry plugin absorb SQLITE_BUSY from a second client, which dqlite reports at once instead of waiting', async () => {
    const options = { nodes: inject('dqliteNodes'), database: `busy-${randomUUID()}` };
    const first = await openDqlite(options);
    const second = await openDqlite(options);
    const patient = second.with(retry({ maxRetryTimeMs: 10_000 }));
    opened.push(first, second);
    await first.exec('CREATE TABLE c (n INTEGER NOT NULL)');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const transaction = first.transaction(async (tx) => {
      await tx.run('INSERT INTO c VALUES (1)');
      holding();
      await gate;
    });
    await held;
    expect(codeOf(await rejection(second.run('INSERT INTO c VALUES (2)')))).toBe('SQLITE_BUSY');
    const retried = patient.run('INSERT INTO c VALUES (3)');
    setTimeout(release, 200);
    await transaction;
    await retried;
    expect(await first.all('SELECT n FROM c ORDER BY n')).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('lets a mock answer some queries without the cluster while the rest reach it', async () => {
    const db = await openDqlite({ nodes: inject('dqliteNodes'), database: `mock-${randomUUID()}` });
    opened.push(db);
    const mock = createMock({ unmatched: 'passthrough' });
    mock.when('SELECT name FROM users WHERE id = ?').rows([{ name: 'Ada' }]);
    const mocked = db.with(mock);
    expect(await mocked.get('SELECT name FROM users WHERE id = ?', [1])).toEqual({ name: 'Ada' });
    expect(await mocked.get('SELECT 40 + 2 AS answer')).toEqual({ answer: 42 });
    mock.assertCalled('SELECT name FROM users WHERE id = ?', { params: [1], times: 1 });
    expect(codeOf(await rejection(db.get('SELECT name FROM users WHERE id = ?', [1])))).toBe('SQLITE_ERROR');
  });
});
