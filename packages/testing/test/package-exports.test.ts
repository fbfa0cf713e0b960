import { describe, expect, it } from 'vitest';

// Imports the built package through its `exports` map (run `build` first; nx does), so packaging mistakes fail here.
describe('@rapsqlite/testing as published', () => {
  it('exposes its API from the package entry point', async () => {
    const pkg = await import('@rapsqlite/testing');
    expect(Object.keys(pkg).sort()).toEqual([
      'CONFORMANCE_GROUPS',
      'TestingErrorCodes',
      'beginRollbackScope',
      'createMock',
      'createTemplateDatabase',
      'createTestDatabase',
      'defineConformanceSuite',
      'mockMatchers',
      'recordQueries',
      'replayQueries',
      'useTestDatabase',
    ]);
    const mock = pkg.createMock();
    mock.when('SELECT 1').rows([{ one: 1 }]);
    await using t = await pkg.createTestDatabase({ memory: true });
    expect(await t.db.with(mock).get('SELECT 1')).toEqual({ one: 1 });
  });
});
