import { ErrorCodes } from '../errors/codes.ts';
import { RapsqliteError } from '../errors/rapsqlite-error.ts';

/** The oldest Node.js rapsqlite runs on. */
export const MINIMUM_NODE = '22.12.0';

/**
 * Refuses to start on a Node.js older than {@link MINIMUM_NODE}: better-sqlite3 13 crashes the whole process there
 * (a segmentation fault, with no message), so a coded error is better.
 */
export function checkRuntime(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  const [minMajor = 0, minMinor = 0] = MINIMUM_NODE.split('.').map((part) => Number.parseInt(part, 10));
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return;
  throw new RapsqliteError(
    ErrorCodes.UNSUPPORTED_RUNTIME,
    `rapsqlite needs Node.js ${MINIMUM_NODE} or newer; this is Node.js ${version}. Upgrade Node.js (22 or 24 LTS).`,
  );
}
