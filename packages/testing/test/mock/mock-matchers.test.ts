import { describe, expect, it } from 'vitest';
import { createMock, mockMatchers, type MockMatchers } from '../../src/index.ts';
import { openTemp } from '../helpers.ts';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends MockMatchers<R> {}
}

expect.extend(mockMatchers);

describe('mockMatchers', () => {
  it('adds toHaveQueried and toHaveNoUnmatchedQueries to expect', async () => {
    const mock = createMock();
    mock.when(/users/).rows([{ id: 1 }]);
    const db = (await openTemp()).with(mock);
    await db.get('SELECT * FROM users WHERE id = ?', [1]);
    expect(mock).toHaveQueried(/users/);
    expect(mock).toHaveQueried('SELECT * FROM users WHERE id = ?', { times: 1, params: [1] });
    expect(mock).not.toHaveQueried(/orders/);
    expect(mock).toHaveNoUnmatchedQueries();
    await db.get('SELECT nope').catch(() => undefined);
    expect(mock).not.toHaveNoUnmatchedQueries();
  });

  it('explains a failure with the calls seen', async () => {
    const mock = createMock({ unmatched: 'passthrough' });
    const db = (await openTemp()).with(mock);
    await db.get('SELECT 1');
    expect(() => expect(mock).toHaveQueried(/users/)).toThrow(/queried at least once, but it was queried 0 time\(s\)[\s\S]*SELECT 1/);
    expect(() => expect({}).toHaveQueried(/x/)).toThrow(/createMock/);
  });
});
