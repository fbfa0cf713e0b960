import { normalizeSql } from './normalize.ts';

/** The first byte of a UTF-8 sequence of 2, 3 or 4 bytes carries these marker bits. */
const UTF8_LEAD = [0, 0, 0xc0, 0xe0, 0xf0] as const;

function hex4(limb: number): string {
  return limb.toString(16).padStart(4, '0');
}

/**
 * 64-bit FNV-1a of the UTF-8 bytes of `text`, as 16 hex digits. The state is kept in four 16-bit limbs so that
 * every step stays in exact small-integer arithmetic: BigInt is far slower, and two 32-bit halves leave V8's
 * small-integer fast path.
 */
export function fnv1a64(text: string): string {
  // Offset basis 0xcbf29ce484222325, lowest limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    let length = 1;
    if (c >= 0x80) {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      // A lone surrogate is hashed as U+FFFD, the bytes TextEncoder would give.
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      length = c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    for (let k = length - 1; k >= 0; k--) {
      let byte = c;
      if (k === length - 1 && length > 1) byte = (UTF8_LEAD[length] as number) | (c >>> (6 * k));
      else if (length > 1) byte = 0x80 | ((c >>> (6 * k)) & 0x3f);
      h0 ^= byte;
      // Multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, modulo 2^64: h·0x1b3 limb by limb, plus h shifted
      // left by 40 bits, which adds h0 to limb 2 and h1 to limb 3, each 8 bits up.
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3 + (t0 >>> 16);
      const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

/**
 * Fingerprints SQL text for per-statement statistics: 16 hex digits of the 64-bit FNV-1a hash of its
 * {@link normalizeSql} form, so statements that differ only in constants, parameter style, list lengths,
 * whitespace, comments or keyword case share a fingerprint.
 *
 * FNV-1a rather than `node:crypto`: up to about 100 characters it is faster than one `crypto.hash()` call into
 * OpenSSL (longer texts favour SHA-1, but hashing is a small part of the cost next to normalizing), it needs no
 * crypto provider (none to be missing or restricted by FIPS), and a statistics key needs spread, not resistance
 * to attack. Stable across processes, platforms and versions of this library that normalize alike. Never throws.
 *
 * @example fingerprintSql('SELECT * FROM t WHERE id = 1') === fingerprintSql('select * from t where id = :id') // true
 */
export function fingerprintSql(sql: string): string {
  return fnv1a64(normalizeSql(sql));
}
