import { expect, test } from '../fixtures';

test.describe('a callback with a forged state is refused', () => {
  test('without a pending authorization', async ({ callback, mcpConsole, browserLog }) => {
    await callback.goto({ code: 'x', state: 'forged' });
    await expect(callback.error).toContainText('State mismatch');
    expect(browserLog.tokenRequests).toEqual([]);

    await mcpConsole.goto();
    await mcpConsole.expectLoginRequired();
  });

  test('while an authorization is pending', async ({ flow, callback, mcpConsole, browserLog }) => {
    // Leaves a real state (and PKCE verifier) in the SPA's sessionStorage, then comes back with
    // another one, as an attacker's link would.
    await flow.start();
    await callback.goto({ code: 'x', state: 'forged' });
    await expect(callback.error).toContainText('State mismatch');
    expect(browserLog.tokenRequests).toEqual([]);

    await mcpConsole.goto();
    await mcpConsole.expectLoginRequired();
  });
});
