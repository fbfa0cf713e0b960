import { styleText } from 'node:util';
import type { CliStream } from './io.ts';

/** A style the CLI uses; each maps to `util.styleText` formats. */
export type Style = 'bad' | 'warn' | 'good' | 'dim' | 'code' | 'bold';

const FORMATS: Record<Style, Parameters<typeof styleText>[0]> = {
  bad: ['red', 'bold'],
  warn: 'yellow',
  good: 'green',
  dim: 'dim',
  code: 'cyan',
  bold: 'bold',
};

/**
 * Whether to colour what goes to `stream`: `--color`/`--no-color` when given; else `FORCE_COLOR` (any value but `0`
 * or `false` forces colour; Node's own rule, it wins over `NO_COLOR`); else `NO_COLOR` set to anything non-empty
 * turns colour off; else colour when the stream is a terminal that is not `TERM=dumb`.
 */
export function colorWanted(stream: CliStream, env: Readonly<Record<string, string | undefined>>, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** A painter: `paint('bad', text)` wraps text in ANSI styles when colour is on, and returns it unchanged otherwise. */
export type Paint = (style: Style, text: string) => string;

/** The painter for a decision made by {@link colorWanted}. */
export function painter(on: boolean): Paint {
  // styleText is told not to look at a stream itself: the decision is made above, once.
  return on ? (style, text) => styleText(FORMATS[style], text, { validateStream: false }) : (_style, text) => text;
}
