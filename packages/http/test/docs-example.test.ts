import { open } from '@rapsqlite/engine';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defer, tempDir } from './helpers.ts';

const ROOT = join(import.meta.dirname, '../../..');

/** The first fenced code block after `heading` in docs/http.md. */
function example(heading: string): string {
  const page = readFileSync(join(ROOT, 'docs/http.md'), 'utf8');
  const section = page.slice(page.indexOf(`\n${heading}\n`));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error(`no example under ${heading}`);
  return match[1];
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function post(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('docs/http.md', () => {
  it('the graceful shutdown example runs as written: 201, then 409, then a drained exit on SIGTERM', async () => {
    const dir = tempDir();
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // so the example's imports resolve
    writeFileSync(join(dir, 'server.mjs'), example('## Graceful shutdown'));
    const port = await freePort();
    const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] });
    defer(() => void child.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}/users?email=ada@example.com`;
    let first: { status: number; body: string } | undefined;
    for (let attempt = 0; first === undefined; attempt++) {
      first = await post(url).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNREFUSED' || attempt > 200) throw err;
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50));
      });
    }
    expect(first).toEqual({ status: 201, body: JSON.stringify({ id: 1 }) });
    expect(await post(url)).toEqual({ status: 409, body: JSON.stringify({ code: 'SQLITE_CONSTRAINT_UNIQUE' }) });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([null, 'SIGTERM']);
    await using db = await open(join(dir, 'shop.db'), { readonly: true });
    expect(await db.all('SELECT id, email FROM users')).toEqual([{ id: 1, email: 'ada@example.com' }]);
  });
});
