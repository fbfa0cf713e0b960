import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DqliteErrorCodes, openDqlite } from '../src/index.ts';
import { codeOf, rejection } from './helpers/handles.ts';

// dqlite-demo speaks plain TCP, so each node gets a TLS-terminating proxy on loopback, and `addressMap` sends the
// client to the proxy of whichever node leads. The client's TLS path (handshake, certificate check) is the real one.
describe('TLS to the nodes', () => {
  const nodes = inject('dqliteNodes');
  let dir: string;
  let ca: Buffer;
  const proxies: tls.Server[] = [];
  const addressMap: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapsqlite-dqlite-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    ca = await readFile(join(dir, 'cert.pem'));
    const key = await readFile(join(dir, 'key.pem'));
    for (const node of nodes) {
      const [host, port] = node.split(':') as [string, string];
      const proxy = tls.createServer({ key, cert: ca }, (secure) => {
        const plain = net.connect(Number(port), host);
        secure.pipe(plain).pipe(secure);
        const close = (): void => {
          secure.destroy();
          plain.destroy();
        };
        secure.on('error', close).on('close', close);
        plain.on('error', close).on('close', close);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxies.push(proxy);
      addressMap[node] = `localhost:${(proxy.address() as net.AddressInfo).port}`;
    }
  });

  afterAll(async () => {
    for (const proxy of proxies) await new Promise((resolve) => proxy.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('queries through TLS with a trusted certificate authority', async () => {
    await using db = await openDqlite({ nodes, database: `tls-${randomUUID()}`, addressMap, tls: { ca } });
    await db.exec('CREATE TABLE t (v TEXT)');
    await db.run('INSERT INTO t VALUES (?)', ['secret over TLS']);
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'secret over TLS' }]);
    expect(db.leader?.address).toBeDefined();
    expect(nodes).toContain(db.leader?.address);
  });

  it('refuses a server whose certificate it cannot verify, failing with ERR_RAPSQLITE_DQLITE_NO_LEADER and the TLS error as cause', async () => {
    const error = await rejection(openDqlite({ nodes, database: 'tls-untrusted', addressMap, tls: true, leaderTimeoutMs: 400, connectTimeoutMs: 300 }));
    expect(codeOf(error)).toBe(DqliteErrorCodes.NO_LEADER);
    expect(codeOf(error.cause)).toMatch(/CERT|SELF_SIGNED/);
  });
});
