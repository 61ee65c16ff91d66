import { expect, test } from '../fixtures';
import { REGISTRATION_PREFIX } from '../pages/spa';

const NOT_RECOGNISED = 'The stored client registration was not recognised; press Connect to register again.';

test.describe('a stored client registration the server no longer knows', () => {
  test('can be forgotten from the home page, and Connect registers again', async ({
    page,
    env,
    flow,
    home,
    consent,
    login,
    mcpConsole,
    browserLog,
  }) => {
    await flow.signInAndAllow();
    const oldClientId = (await mcpConsole.storedSession())?.client_id ?? '';
    await mcpConsole.logout();
    await home.expectPath('/');

    // As if the server's data had been reset: the stored client_id now names no client there.
    await page.evaluate((prefix) => {
      for (const key of Object.keys(window.localStorage).filter((k) => k.startsWith(prefix))) {
        const record = JSON.parse(window.localStorage.getItem(key) ?? '{}') as { client_id?: string };
        record.client_id = 'c_no_such_client';
        window.localStorage.setItem(key, JSON.stringify(record));
      }
    }, REGISTRATION_PREFIX);
    await home.connect();
    await page.waitForURL((url) => url.href.startsWith(`${env.asUrl}/authorize`));
    await expect(page.locator('body')).toContainText('not registered');
    expect(browserLog.registrations).toHaveLength(1);

    await home.goto(env.mcpUrl);
    await expect(home.storedRegistration).toBeVisible();
    await home.forgetRegistration.click();
    await expect(home.registrationNotice).toBeVisible();
    await expect(home.storedRegistration).toHaveCount(0);
    expect(await home.storedRegistrations()).toEqual([]);

    // A new registration; the login session skips the password, the new client needs consent.
    await home.connect();
    await consent.expectLoaded();
    await expect(login.password).toHaveCount(0);
    expect(browserLog.registrations).toHaveLength(2);
    await consent.allow();
    await mcpConsole.expectSignedIn(env.user);
    const newClientId = (await mcpConsole.storedSession())?.client_id ?? '';
    expect(newClientId).not.toBe('');
    expect(newClientId).not.toBe(oldClientId);
    expect((await mcpConsole.storedRegistrations()).map((r) => r.client_id)).toEqual([newClientId]);
  });

  test('is forgotten when the callback of the login started here says invalid_client', async ({
    page,
    env,
    flow,
    home,
    callback,
    mcpConsole,
    browserLog,
  }) => {
    await flow.signInAndAllow();
    expect(await mcpConsole.storedRegistrations()).toHaveLength(1);
    await mcpConsole.logout();
    await home.expectPath('/');

    // As if the server's data had been reset, so that the login below stays pending at the
    // authorization server instead of coming straight back with remembered consent.
    await page.evaluate((prefix) => {
      for (const key of Object.keys(window.localStorage).filter((k) => k.startsWith(prefix))) {
        const record = JSON.parse(window.localStorage.getItem(key) ?? '{}') as { client_id?: string };
        record.client_id = 'c_no_such_client';
        window.localStorage.setItem(key, JSON.stringify(record));
      }
    }, REGISTRATION_PREFIX);
    await home.connect();
    await page.waitForURL((url) => url.href.startsWith(`${env.asUrl}/authorize`));
    await home.goto(env.mcpUrl);
    const state = (JSON.parse((await home.pendingFlow()) ?? '{}') as { state?: string }).state ?? '';
    expect(state, 'the pending login keeps its state').not.toBe('');

    // Only the callback of that login may make the SPA forget the registration: not a forged one.
    await callback.goto({ error: 'invalid_client', state: 'forged' });
    await expect(callback.error).toContainText('State mismatch');
    expect(await callback.storedRegistrations()).toHaveLength(1);

    await callback.goto({ error: 'invalid_client', state });
    await expect(callback.error).toContainText(NOT_RECOGNISED);
    expect(await callback.storedRegistrations()).toEqual([]);
    expect(browserLog.tokenRequests).toHaveLength(1);
  });
});
