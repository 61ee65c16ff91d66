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

test.describe('an error callback with a forged state is refused before its error is acted on', () => {
  for (const state of ['forged', undefined]) {
    test(`error=access_denied with ${state ? 'a forged' : 'no'} state leaves the pending login intact`, async ({
      page,
      env,
      flow,
      consent,
      callback,
      mcpConsole,
      browserLog,
    }) => {
      await flow.start();
      const authorizeUrl = page.url();
      await page.goto(env.spaUrl + '/console'); // back on the SPA's origin, to read its storage
      const pending = await callback.pendingFlow();
      expect(pending).not.toBeNull();

      const query: Record<string, string> = { error: 'access_denied', error_description: 'you declined' };
      if (state) query.state = state;
      await callback.goto(query);
      await expect(callback.error).toContainText('State mismatch');
      await expect(callback.error).toContainText('refused as forged');
      // The attacker's error is not shown as if the authorization server had said it.
      await expect(callback.error).not.toContainText('denied');
      expect(await callback.pendingFlow()).toBe(pending);
      expect(browserLog.tokenRequests).toEqual([]);

      // The real login, started before the forged callback, still completes with its own state.
      await page.goto(authorizeUrl);
      await flow.signIn();
      await consent.allow();
      await mcpConsole.expectSignedIn(env.user);
      expect(browserLog.tokenRequests.length).toBeGreaterThan(0);
    });
  }
});
