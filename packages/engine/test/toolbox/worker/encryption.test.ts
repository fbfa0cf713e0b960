import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attachDatabase } from '../../../src/worker/tools/attach.ts';
import { applyKey, hasCipherSupport, loadCipherDriver, rekeyDatabase } from '../../../src/worker/tools/encryption.ts';
import { keySpec } from '../../../src/toolbox/options.ts';
import { Driver, openRaw, tempFile, type RawDriver } from '../driver-helpers.ts';

// The engine's tests install the optional peer as a devDependency: when it is missing this throws, loudly.
const Cipher = loadCipherDriver<RawDriver>();
const SECRET = 'the launch code is 0000-PLAINTEXT-MARKER';

function caught(fn: () => unknown): { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a throw');
}

function create(path: string, key: string | Uint8Array, cipher?: 'sqlcipher' | 'aes256cbc'): void {
  const db = openRaw(path, undefined, Cipher);
  applyKey(db, keySpec(key, cipher));
  db.pragma('journal_mode = wal');
  db.exec('CREATE TABLE secrets (body TEXT)');
  db.prepare('INSERT INTO secrets VALUES (?)').run(SECRET);
  db.close();
}

describe('encryption (worker tools over better-sqlite3-multiple-ciphers)', () => {
  it('creates an encrypted file whose bytes contain neither the data nor the SQLite header', () => {
    const path = tempFile('secret.db');
    create(path, 'correct horse');
    const bytes = Buffer.concat([readFileSync(path), readFileSync(`${path}-wal`, { flag: 'a+' })]);
    expect(bytes.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    expect(bytes.includes(Buffer.from('CREATE TABLE secrets'))).toBe(false);
    expect(bytes.subarray(0, 15).toString('latin1')).not.toBe('SQLite format 3');
    const db = openRaw(path, undefined, Cipher);
    applyKey(db, keySpec('correct horse', undefined));
    expect(db.prepare('SELECT body FROM secrets').pluck().get()).toBe(SECRET);
  });

  it('fails with ERR_RAPSQLITE_ENCRYPTION_KEY for a wrong key or cipher, and plain SQLite cannot read the file', () => {
    const path = tempFile('secret.db');
    create(path, 'correct horse', 'sqlcipher');
    const wrongKey = openRaw(path, undefined, Cipher);
    expect(caught(() => applyKey(wrongKey, keySpec('battery staple', 'sqlcipher'))).code).toBe('ERR_RAPSQLITE_ENCRYPTION_KEY');
    const wrongCipher = openRaw(path, undefined, Cipher);
    expect(caught(() => applyKey(wrongCipher, keySpec('correct horse', 'aes256cbc'))).code).toBe('ERR_RAPSQLITE_ENCRYPTION_KEY');
    const plain = openRaw(path, { readonly: true });
    expect(caught(() => plain.prepare('SELECT * FROM secrets').all()).code).toBe('SQLITE_NOTADB');
    const right = openRaw(path, undefined, Cipher);
    applyKey(right, keySpec('correct horse', 'sqlcipher'));
    expect(right.prepare('SELECT count(*) FROM secrets').pluck().get()).toBe(1);
  });

  it('takes raw key bytes', () => {
    const path = tempFile('raw.db');
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    create(path, key);
    const db = openRaw(path, undefined, Cipher);
    expect(caught(() => applyKey(db, keySpec(Buffer.from(key).toString('hex'), undefined))).code).toBe('ERR_RAPSQLITE_ENCRYPTION_KEY');
    const right = openRaw(path, undefined, Cipher);
    applyKey(right, keySpec(key, undefined));
    expect(right.prepare('SELECT body FROM secrets').pluck().get()).toBe(SECRET);
  });

  it('rekeys a WAL database, encrypts a plain one and decrypts with an empty key', () => {
    const path = tempFile('secret.db');
    create(path, 'old key');
    const db = openRaw(path, undefined, Cipher);
    applyKey(db, keySpec('old key', undefined));
    rekeyDatabase(db, keySpec('new key', undefined));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(caught(() => applyKey(openRaw(path, undefined, Cipher), keySpec('old key', undefined))).code).toBe('ERR_RAPSQLITE_ENCRYPTION_KEY');
    const again = openRaw(path, undefined, Cipher);
    applyKey(again, keySpec('new key', undefined));
    expect(again.prepare('SELECT body FROM secrets').pluck().get()).toBe(SECRET);
    rekeyDatabase(again, { key: '', hex: false });
    again.close();
    const plain = openRaw(path, { readonly: true });
    expect(plain.prepare('SELECT body FROM secrets').pluck().get()).toBe(SECRET);
    plain.close();

    const clear = tempFile('clear.db');
    const c = openRaw(clear, undefined, Cipher);
    // What open(path, { cipher }) without a key does: a plain file on the encrypting driver.
    applyKey(c, { key: '', hex: false, cipher: 'sqlcipher' });
    c.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('PLAINTEXT-MARKER')");
    rekeyDatabase(c, keySpec('now secret', 'sqlcipher'));
    c.close();
    expect(readFileSync(clear).includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    const reopened = openRaw(clear, undefined, Cipher);
    applyKey(reopened, keySpec('now secret', 'sqlcipher'));
    expect(reopened.prepare('SELECT x FROM t').pluck().get()).toBe('PLAINTEXT-MARKER');
  });

  it('attaches an encrypted file with its own key', () => {
    const side = tempFile('side.db');
    create(side, 'side key');
    const db = openRaw(':memory:', undefined, Cipher);
    attachDatabase(db, { alias: 'vault', path: side, key: 'side key' }, { readonly: false });
    expect(db.prepare('SELECT body FROM vault.secrets').pluck().get()).toBe(SECRET);
  });

  it('refuses keys on plain better-sqlite3 (which would ignore them) and reports a missing driver with a code', () => {
    const db = openRaw(tempFile(), undefined, Driver);
    expect(hasCipherSupport(db)).toBe(false);
    expect(caught(() => applyKey(db, keySpec('k', undefined))).code).toBe('ERR_RAPSQLITE_ENCRYPTION_UNAVAILABLE');
    const nowhere = pathToFileURL(join(tempFile('x'), '..', 'module.js')).href;
    expect(caught(() => loadCipherDriver(nowhere)).code).toBe('ERR_RAPSQLITE_ENCRYPTION_UNAVAILABLE');
    expect(caught(() => keySpec('', undefined)).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    // An in-memory database cannot be encrypted.
    expect(caught(() => applyKey(openRaw(':memory:', undefined, Cipher), keySpec('k', undefined))).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    expect(caught(() => keySpec('k', 'rot13')).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
  });
});
