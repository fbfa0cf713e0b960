import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency when a feature that needs it is first used, so that `prom-client` users need
 * not install `hot-shots` and the other way round. Throws a coded error naming the package to install.
 */
export function loadPeer<T>(name: string, feature: string): T {
  try {
    return require(name) as T;
  } catch (cause) {
    const error = new Error(`${feature} needs the optional peer dependency "${name}": npm install ${name}`, { cause });
    Object.defineProperty(error, 'code', { value: 'ERR_RAPSQLITE_MISSING_PEER', enumerable: true });
    throw error;
  }
}

/** Loads an optional package, or returns undefined when it is not installed. */
export function tryLoad<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}
