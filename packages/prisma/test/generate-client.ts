import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(here, 'prisma', 'schema.prisma');
const outDir = join(here, '.generated', 'client');
const stampPath = join(here, '.generated', 'stamp');

/**
 * Runs `prisma generate` for the test schema into the git-ignored `test/.generated/client`, unless the stamp shows the
 * same schema and Prisma version were generated already. Offline: the CLI downloads its native schema engine at
 * start-up unless `PRISMA_SCHEMA_ENGINE_BINARY` names an existing file, and `generate` never runs that engine, so any
 * existing file (here, node itself) will do. Returns the milliseconds spent (0 when the cache was fresh).
 */
export async function generateClient(): Promise<number> {
  const require = createRequire(import.meta.url);
  const cliPackage = require.resolve('prisma/package.json');
  const version = (JSON.parse(await readFile(cliPackage, 'utf8')) as { version: string }).version;
  const stamp = createHash('sha256').update(version).update(await readFile(schemaPath)).digest('hex');
  if (existsSync(join(outDir, 'client.ts')) && existsSync(stampPath) && (await readFile(stampPath, 'utf8')) === stamp) return 0;
  const started = performance.now();
  await promisify(execFile)(process.execPath, [join(dirname(cliPackage), 'build', 'index.js'), 'generate', '--schema', schemaPath], {
    cwd: here,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    timeout: 120_000,
  });
  await writeFile(stampPath, stamp);
  return performance.now() - started;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ms = await generateClient();
  console.log(ms === 0 ? 'prisma generate: cached' : `prisma generate: ${Math.round(ms)} ms`);
}
