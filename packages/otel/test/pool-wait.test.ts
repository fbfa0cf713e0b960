import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@rapsqlite/pool';
import { describe, expect, it } from 'vitest';
import { otel } from '../src/index.ts';
import { memoryTracing, onCleanup } from './helpers.ts';

describe('a span of a pool query', () => {
  it('includes the wait for a connection, since the chain runs above routing (issue 11)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-otel-wait-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const tracing = memoryTracing();
    const pool = await createPool(join(dir, 'db.sqlite'), { minReaders: 1, maxReaders: 1, pipelining: 1 });
    onCleanup(() => pool.close());
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    const tx = pool.transaction(() => held, { readonly: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = pool.with(otel({ tracerProvider: tracing.provider })).get('SELECT 1 AS one');
    await new Promise((resolve) => setTimeout(resolve, 150));
    open();
    await tx;
    expect(await read).toEqual({ one: 1 });
    const [span] = await tracing.spans();
    const durationMs = (span?.duration[0] ?? 0) * 1000 + (span?.duration[1] ?? 0) / 1e6;
    expect(span?.name).toBe('SELECT');
    expect(durationMs).toBeGreaterThanOrEqual(140);
  });
});
