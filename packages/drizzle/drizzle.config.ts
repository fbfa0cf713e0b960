// drizzle-kit's configuration for the test fixture: `npx drizzle-kit generate` (offline) writes test/fixtures/migrations.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './test/fixtures/schema.ts',
  out: './test/fixtures/migrations',
});
