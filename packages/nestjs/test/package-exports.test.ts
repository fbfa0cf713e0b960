import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/nestjs as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/nestjs');
    expect(Object.keys(pkg).sort()).toEqual([
      'DEFAULT_CONNECTION',
      'DEFAULT_ERROR_STATUSES',
      'InjectDatabase',
      'InjectTransactionHost',
      'NestErrorCodes',
      'RapsqliteExceptionFilter',
      'RapsqliteModule',
      'TransactionHost',
      'TransactionInterceptor',
      'Transactional',
      'errorStatus',
      'getDatabaseToken',
      'getTransactionHostToken',
    ]);
    expect(pkg.RapsqliteModule.forRoot({ path: 'x.db' }).module).toBe(pkg.RapsqliteModule);
  });
});
