import cliProgress from 'cli-progress';
import type { CliStream } from './io.ts';

/** A progress bar, or nothing at all when the output is not a terminal. */
export interface Progress {
  start(total: number, label: string): void;
  update(value: number, label: string): void;
  stop(): void;
}

const NONE: Progress = { start() {}, update() {}, stop() {} };

/** A progress bar on `stream` when it is a TTY and progress is wanted; otherwise a bar that prints nothing. */
export function createProgress(stream: CliStream, wanted: boolean): Progress {
  if (!wanted || stream.isTTY !== true) return NONE;
  const bar = new cliProgress.SingleBar(
    { stream: stream as NodeJS.WritableStream, format: '{bar} {value}/{total} {label}', hideCursor: false, clearOnComplete: false, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start(total, label) {
      bar.start(total, 0, { label });
      running = true;
    },
    update(value, label) {
      if (running) bar.update(value, { label });
    },
    stop() {
      if (!running) return;
      running = false;
      bar.stop();
    },
  };
}
