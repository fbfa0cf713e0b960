import { getEventListeners } from 'node:events';
import { runCli } from './cli.ts';
import { EXIT_CODES } from './exit-codes.ts';

// Ctrl-C (SIGINT) or SIGTERM aborts the signal: a command that can stop cleanly (backup, dump, restore, bench) listens on it,
// removes what it had started writing and exits with 130. Any other command, or a second signal, ends the process at
// once with 130, as it would end without a handler (SQLite rolls back a transaction a process leaves unfinished).
const controller = new AbortController();
const onSignal = (name: NodeJS.Signals): void => {
  if (controller.signal.aborted || getEventListeners(controller.signal, 'abort').length === 0) process.exit(EXIT_CODES.INTERRUPTED);
  controller.abort(name);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// process.stdin is only touched when a command reads it (`restore -`): opening it early could hold a terminal.
const stdin: AsyncIterable<string | Uint8Array> = { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() };

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin, signal: controller.signal });
