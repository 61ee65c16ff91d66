import { expect, test } from '../fixtures';

test('a second Connect reuses the registration and the remembered consent', async ({
  page,
  env,
  flow,
  home,
  mcpConsole,
  flowSteps,
  browserLog,
}) => {
  let clientId = '';
  await test.step('first login: password and consent, then the console', async () => {
    await flow.signInAndAllow();
    const session = await mcpConsole.storedSession();
    clientId = session?.client_id ?? '';
    expect(clientId, 'client_id in the stored session').not.toBe('');
    expect(browserLog.registrations).toHaveLength(1);
    // Kept in localStorage (public data only), for the next Connect.
    const stored = await mcpConsole.storedRegistrations();
    expect(stored.map((r) => r.client_id)).toEqual([clientId]);
    expect(stored[0].issuer).toBe(env.asUrl);
    expect(stored[0].redirect_uri).toBe(`${env.spaUrl}/callback`);
    // No token ever goes to localStorage.
    const local = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(local).not.toContain(session?.access_token ?? 'missing');
    expect(local).not.toContain(session?.refresh_token ?? 'missing');
  });

  await test.step('log out in the SPA', async () => {
    await mcpConsole.logout();
    await home.expectPath('/');
    await expect(home.notice).toContainText('You have been logged out.');
    expect(await home.storedSession()).toBeNull();
    await expect(home.storedRegistration).toBeVisible();
  });

  const navigatedBefore = browserLog.navigations.length;
  const asDocumentsBefore = browserLog.asDocuments.length;
  await test.step('Connect again: straight back to the console, no password, no consent page', async () => {
    await home.connect();
    await mcpConsole.expectSignedIn(env.user);
    const navigated = browserLog.navigations.slice(navigatedBefore);
    const asDocuments = browserLog.asDocuments.slice(asDocumentsBefore);
    // The authorization server answered /authorize with a redirect only: no page of its own
    // (login form or consent page) was ever committed to the tab.
    expect(asDocuments.length, JSON.stringify(asDocuments)).toBeGreaterThan(0);
    for (const doc of asDocuments) {
      expect(doc.url.startsWith(`${env.asUrl}/authorize`), JSON.stringify(asDocuments)).toBe(true);
      expect(doc.status >= 300 && doc.status < 400, JSON.stringify(asDocuments)).toBe(true);
    }
    expect(navigated.filter((u) => u.startsWith(env.asUrl)), JSON.stringify(navigated)).toEqual([]);
    expect(navigated.some((u) => u.startsWith(`${env.spaUrl}/callback`)), JSON.stringify(navigated)).toBe(true);
  });

  await test.step('the stored registration was reused: same client, no second POST /register', async () => {
    expect(browserLog.registrations).toHaveLength(1);
    expect((await mcpConsole.storedSession())?.client_id).toBe(clientId);
    await expect(mcpConsole.step('register')).toContainText('Reused the stored client registration');
    await expect(mcpConsole.step('register')).toContainText(clientId);
    await flowSteps.expectAllOk();
    await expect(mcpConsole.whoami).toHaveText(env.user);
  });
});
