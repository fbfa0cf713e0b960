import { LOG_EVENTS, type LogEvent, type LogLevel, type LoggerLike } from './logger-options.ts';

/**
 * Which events are on now, for a logger whose level can change at run time. With pino it costs one property read
 * per operation: the answers are kept until `levelVal` changes. A logger without `isLevelEnabled` gets every event
 * whose level is configured, and filters by itself.
 */
export class LevelGate {
  readonly #logger: LoggerLike;
  readonly #levels: Readonly<Record<LogEvent, LogLevel | false>>;
  readonly #on: Record<LogEvent, boolean>;
  /** The `levelVal` the answers were computed for; NaN forces a first computation. */
  #levelVal = Number.NaN;
  /** True when the logger can say which levels are on but not when that changes: ask on every operation. */
  readonly #askEachTime: boolean;

  constructor(logger: LoggerLike, levels: Readonly<Record<LogEvent, LogLevel | false>>) {
    this.#logger = logger;
    this.#levels = levels;
    this.#on = Object.fromEntries(LOG_EVENTS.map((event) => [event, levels[event] !== false])) as Record<LogEvent, boolean>;
    this.#askEachTime = typeof logger.isLevelEnabled === 'function' && typeof logger.levelVal !== 'number';
  }

  /** The answers for now: call once per operation, then read the flags. */
  current(): Readonly<Record<LogEvent, boolean>> {
    const logger = this.#logger;
    if (typeof logger.isLevelEnabled !== 'function') return this.#on;
    if (!this.#askEachTime) {
      const value = logger.levelVal;
      if (value === this.#levelVal) return this.#on;
      this.#levelVal = value as number;
    }
    for (const event of LOG_EVENTS) {
      const level = this.#levels[event];
      this.#on[event] = level !== false && logger.isLevelEnabled(level);
    }
    return this.#on;
  }
}
