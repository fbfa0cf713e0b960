import { generateClient } from './generate-client.ts';

/** vitest global set-up: the Prisma client the tests import is generated (or found fresh in the cache) first. */
export default async function setup(): Promise<void> {
  const ms = await generateClient();
  if (ms > 0) console.log(`prisma generate: ${Math.round(ms)} ms`);
}
