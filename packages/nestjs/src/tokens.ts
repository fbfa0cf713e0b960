/** The name of the connection registered without one. */
export const DEFAULT_CONNECTION = 'default';

/**
 * The injection token of a connection's handle (`Database` or `Pool`), for `@Inject()`, `moduleRef.get()` or a
 * `forRootAsync` `inject` list. `@InjectDatabase(name)` is the short form.
 */
export function getDatabaseToken(name: string = DEFAULT_CONNECTION): string {
  return `RapsqliteDatabase:${name}`;
}

/** The injection token of a connection's {@link TransactionHost}. `@InjectTransactionHost(name)` is the short form. */
export function getTransactionHostToken(name: string = DEFAULT_CONNECTION): string {
  return `RapsqliteTransactionHost:${name}`;
}

/** @internal The token of a connection's resolved module options. */
export function getOptionsToken(name: string): string {
  return `RapsqliteModuleOptions:${name}`;
}

/** @internal The token of the provider that closes a connection on application shutdown. */
export function getCloserToken(name: string): string {
  return `RapsqliteCloser:${name}`;
}
