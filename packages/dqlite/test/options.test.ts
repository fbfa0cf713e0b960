import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@rapsqlite/engine';
import { DqliteErrorCodes, openDqlite, parseDqliteUrl } from '../src/index.ts';
import { resolveDqliteOptions } from '../src/options.ts';
import { codeOf, rejection } from './helpers/handles.ts';

describe('dqlite options', () => {
  it('reads nodes, the database and settings from a dqlite:// URL', () => {
    expect(parseDqliteUrl('dqlite://10.0.0.1:9001,[::1]:9002/my%20app?readers=4&tls=true&integers=auto&leaderTimeoutMs=5000')).toEqual({
      nodes: ['10.0.0.1:9001', '[::1]:9002'],
      database: 'my app',
      readers: 4,
      tls: true,
      integers: 'auto',
      leaderTimeoutMs: 5000,
    });
  });

  it('lets explicit options win over the URL, fills in defaults and freezes the result', () => {
    const resolved = resolveDqliteOptions('dqlite://127.0.0.1:9001/app?readers=4', { readers: 1, pragmas: ['PRAGMA recursive_triggers = ON'] });
    expect(resolved.readers).toBe(1);
    expect(resolved.url).toBe('dqlite://127.0.0.1:9001/app');
    expect([resolved.pipelining, resolved.leaderTimeoutMs, resolved.connectTimeoutMs, resolved.integers, resolved.foreignKeys, resolved.typedValues]).toEqual([64, 10_000, 2_000, 'number', true, false]);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.pragmas)).toBe(true);
  });

  it.each([
    ['postgres://x:1/db', undefined],
    ['dqlite://127.0.0.1:9001', undefined],
    ['dqlite://127.0.0.1/app', undefined],
    ['dqlite://127.0.0.1:9001/app?nope=1', undefined],
    ['dqlite://127.0.0.1:9001/app?readers=many', undefined],
    ['dqlite://127.0.0.1:9001/app', { readers: -1 }],
    ['dqlite://127.0.0.1:9001/app', { integers: 'float' }],
    ['dqlite://127.0.0.1:9001/app', { tls: 'yes' }],
    ['dqlite://127.0.0.1:9001/app', { addressMap: { a: 'nowhere' } }],
    ['dqlite://127.0.0.1:9001/app', { timeoutMs: 0 }],
    ['dqlite://127.0.0.1:9001/app', { colour: 'blue' }],
  ])('refuses %s %j with ERR_RAPSQLITE_INVALID_ARGUMENT', async (url, options) => {
    expect(codeOf(await rejection(openDqlite(url, options as never)))).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('fails to open with ERR_RAPSQLITE_DQLITE_NO_LEADER when no node answers within leaderTimeoutMs', async () => {
    const error = await rejection(openDqlite('dqlite://127.0.0.1:1/app?leaderTimeoutMs=300&connectTimeoutMs=100'));
    expect(codeOf(error)).toBe(DqliteErrorCodes.NO_LEADER);
    expect(codeOf(error.cause)).toBe('ECONNREFUSED');
  });
});
