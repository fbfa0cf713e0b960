/**
 * Runs the hostile column names battery in this process and prints the problems as one JSON line. Started with
 * `--disallow-code-generation-from-strings`, under which the engine must build rows without generated code.
 */
import { open } from '../../../src/index.ts';
import { hostileBattery } from '../names.ts';

let codegen = true;
try {
  new Function('return 1')();
} catch {
  codegen = false;
}
const db = await open(':memory:');
const result = await hostileBattery(db);
await db.close();
process.stdout.write(`${JSON.stringify({ ...result, codegen })}\n`);
