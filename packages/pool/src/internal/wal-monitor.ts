import { stat } from 'node:fs/promises';
import type { Database } from '@rapsqlite/engine';
import type { CheckpointMode, CheckpointReason, CheckpointResult, StarvationEvent } from '../events.ts';
import type { WalStats } from '../stats.ts';

/** What the monitor needs to know about the pool at each tick. */
export interface WalTickContext {
  /** The writer database (without middleware). */
  readonly writer: Database;
  /** Takes the idle writer for the pool's own call and returns a function that gives it back, or undefined when busy. */
  readonly takeWriter: () => (() => void) | undefined;
  /** No transaction holds the writer, so a checkpoint sent now does not wait behind one. */
  readonly writerFree: boolean;
  /** No reader of the pool runs a call, so none holds a snapshot. */
  readonly readersIdle: boolean;
  /** Writes issued so far (to tell whether anything was written since the last checkpoint). */
  readonly writes: number;
  readonly busyReaders: number;
  readonly longestReadMs: number;
}

interface CheckpointRow {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/**
 * Watches the `-wal` file and runs checkpoints: PASSIVE ones when the writer is idle, and TRUNCATE ones when the WAL
 * is over the starvation threshold and no reader holds a snapshot. Starvation — the WAL over the threshold while a
 * checkpoint cannot copy it back because readers still need old frames — is reported once per episode.
 */
export class WalMonitor {
  readonly #walPath: string;
  readonly #intervalMs: number;
  readonly #threshold: number;
  readonly #onCheckpoint: (result: CheckpointResult) => void;
  readonly #onStarvation: (event: StarvationEvent) => void;
  bytes = 0;
  checkpoints = 0;
  lastCheckpoint: CheckpointResult | undefined;
  starved = false;
  starvations = 0;
  #lastAt = performance.now();
  #lastWrites = 0;
  /** After a TRUNCATE found readers of another process in the way, wait this long before the next attempt. */
  #truncateAfter = 0;

  constructor(
    path: string,
    options: { readonly checkpointIntervalMs: number; readonly walStarvationBytes: number },
    hooks: { readonly onCheckpoint: (result: CheckpointResult) => void; readonly onStarvation: (event: StarvationEvent) => void },
  ) {
    this.#walPath = `${path}-wal`;
    this.#intervalMs = options.checkpointIntervalMs;
    this.#threshold = options.walStarvationBytes;
    this.#onCheckpoint = hooks.onCheckpoint;
    this.#onStarvation = hooks.onStarvation;
  }

  /** The size of the `-wal` file now (0 when there is none). */
  async size(): Promise<number> {
    try {
      return (await stat(this.#walPath)).size;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return 0;
      throw err;
    }
  }

  /** Runs `PRAGMA wal_checkpoint(mode)` on the writer and records the outcome. */
  async checkpoint(writer: Database, mode: CheckpointMode, reason: CheckpointReason, writes: number): Promise<CheckpointResult> {
    const start = performance.now();
    const before = await this.size();
    const row = (await writer.get<CheckpointRow>(`PRAGMA wal_checkpoint(${mode.toUpperCase()})`)) as CheckpointRow;
    const after = await this.size();
    const result: CheckpointResult = Object.freeze({
      mode,
      reason,
      busy: row.busy !== 0,
      logFrames: row.log,
      checkpointedFrames: row.checkpointed,
      walBytesBefore: before,
      walBytesAfter: after,
      durationMs: performance.now() - start,
    });
    this.bytes = after;
    this.checkpoints++;
    this.lastCheckpoint = result;
    this.#lastAt = performance.now();
    this.#lastWrites = writes;
    this.#onCheckpoint(result);
    return result;
  }

  /** One maintenance step: measure the WAL, detect starvation, checkpoint when it helps and costs no caller anything. */
  async tick(ctx: WalTickContext): Promise<void> {
    this.bytes = await this.size();
    const now = performance.now();
    if (this.bytes > this.#threshold || this.starved) {
      if (ctx.readersIdle && now >= this.#truncateAfter) {
        const give = ctx.takeWriter();
        if (give !== undefined) {
          let result: CheckpointResult;
          try {
            result = await this.checkpoint(ctx.writer, 'truncate', this.starved ? 'starvation' : 'size', ctx.writes);
          } finally {
            give();
          }
          if (!result.busy && result.checkpointedFrames === result.logFrames) this.starved = false;
          else this.#truncateAfter = performance.now() + Math.max(this.#intervalMs, 1000);
          return;
        }
      }
      if (!this.starved && ctx.writerFree && ctx.writes !== this.#lastWrites) {
        const result = await this.checkpoint(ctx.writer, 'passive', 'size', ctx.writes);
        if (result.checkpointedFrames < result.logFrames) {
          this.starved = true;
          this.starvations++;
          this.#onStarvation(
            Object.freeze({
              walBytes: result.walBytesAfter,
              thresholdBytes: this.#threshold,
              logFrames: result.logFrames,
              checkpointedFrames: result.checkpointedFrames,
              busyReaders: ctx.busyReaders,
              longestReadMs: ctx.longestReadMs,
            }),
          );
        }
      }
      return;
    }
    if (this.#intervalMs > 0 && ctx.writes !== this.#lastWrites && now - this.#lastAt >= this.#intervalMs) {
      const give = ctx.takeWriter();
      if (give === undefined) return;
      try {
        await this.checkpoint(ctx.writer, 'passive', 'idle', ctx.writes);
      } finally {
        give();
      }
    }
  }

  stats(): WalStats {
    return { bytes: this.bytes, checkpoints: this.checkpoints, lastCheckpoint: this.lastCheckpoint, starved: this.starved, starvations: this.starvations };
  }
}
