import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { AnyFunction } from './internal/invoke.ts';

const HERE = fileURLToPath(import.meta.url);

const DATABASE_METHODS = ['prepare', 'get', 'run', 'all', 'each', 'map', 'close', 'exec'] as const;
const STATEMENT_METHODS = ['bind', 'get', 'run', 'all', 'each', 'map', 'reset', 'finalize'] as const;

function frames(error: Error): string[] {
  return (error.stack ?? '').split('\n').filter((line) => !line.includes(HERE));
}

/**
 * Wraps a prototype method so that the first error its callback receives carries where the call was made
 * (node-sqlite3's long stack traces): `'--> in Database#run(<arguments>)'` and the calling stack.
 */
function extendTrace(object: Record<string, unknown>, property: string): void {
  const original = object[property] as AnyFunction;
  const owner = (object['constructor'] as { name?: string } | undefined)?.name ?? 'Object';
  object[property] = function (this: unknown, ...args: unknown[]): unknown {
    const origin = new Error();
    const name = `${owner}#${property}(${args.map((arg) => inspect(arg, false, 0)).join(', ')})`;
    const position = args.length - 1;
    const callback = args[position];
    if (typeof callback === 'function') {
      args[position] = function replacement(this: unknown, ...results: unknown[]): unknown {
        const err = results[0] as (Error & { __augmented?: boolean }) | undefined;
        if (err instanceof Object && typeof err.stack === 'string' && err.__augmented !== true) {
          err.stack = `${frames(err).join('\n')}\n--> in ${name}\n${frames(origin).slice(1).join('\n')}`;
          err.__augmented = true;
        }
        return (callback as AnyFunction).apply(this, results);
      };
    }
    return original.apply(this, args);
  };
}

let installed = false;

/** Installs the long stack traces on the Database and Statement prototypes, once. */
export function installVerbose(database: { prototype: object }, statement: { prototype: object }): void {
  if (installed) return;
  installed = true;
  for (const name of DATABASE_METHODS) extendTrace(database.prototype as Record<string, unknown>, name);
  for (const name of STATEMENT_METHODS) extendTrace(statement.prototype as Record<string, unknown>, name);
}
