import cliProgress from 'cli-progress';
import { formatBytes } from './format.ts';
import type { CliStream } from './io.ts';

/** A progress bar, or nothing at all when the output is not a terminal. */
export interface Progress {
  /** Whether a bar is drawn (work done only for the bar, like counting rows, can be skipped when not). */
  readonly active: boolean;
  start(total: number, label: string): void;
  update(value: number, label: string): void;
  /** Changes the total while the bar runs (a backup whose source grew). */
  setTotal(total: number): void;
  stop(): void;
}

/** What the bar counts: items (`3/5`) or bytes (`1.2 MiB/4.0 MiB`). */
export type ProgressUnit = 'items' | 'bytes';

const NONE: Progress = { active: false, start() {}, update() {}, setTotal() {}, stop() {} };

/** A progress bar on `stream` when it is a TTY and progress is wanted; otherwise a bar that prints nothing. */
export function createProgress(stream: CliStream, wanted: boolean, unit: ProgressUnit = 'items'): Progress {
  if (!wanted || stream.isTTY !== true) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{bar} {value}/{total} {label}',
      hideCursor: false,
      clearOnComplete: false,
      barsize: 24,
      ...(unit === 'bytes' ? { formatValue: (value: number, _options: unknown, type: string) => (type === 'value' || type === 'total' ? formatBytes(value) : String(value)) } : {}),
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    active: true,
    start(total, label) {
      bar.start(total, 0, { label });
      running = true;
    },
    update(value, label) {
      if (running) bar.update(value, { label });
    },
    setTotal(total) {
      if (running) bar.setTotal(total);
    },
    stop() {
      if (!running) return;
      running = false;
      bar.stop();
    },
  };
}
