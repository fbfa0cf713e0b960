import { createHash } from 'node:crypto';

/** SHA-256 (hex) of text, with line endings made `\n` and surrounding whitespace trimmed, so a checkout on Windows does not drift. */
export function checksumOf(text: string | Uint8Array): string {
  const normalized = typeof text === 'string' ? text.replace(/\r\n?/g, '\n').trim() : text;
  return createHash('sha256').update(normalized).digest('hex');
}
