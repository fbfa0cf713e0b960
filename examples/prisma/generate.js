// `prisma generate`, offline: the CLI downloads its native schema engine at start-up unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing file, and `generate` never runs it, so node itself will do.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
execFileSync(process.execPath, [cli, 'generate', '--schema', 'schema.prisma'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
