import { expect, test } from '../fixtures';
import { CLIENT_NAME, SCOPE } from '../pages/flow';
import { expectSpaSecurityHeaders, jsonContains, jsonFind } from '../pages/spa';

test('connect, sign in, consent and call MCP as alice', async ({
  page,
  env,
  home,
  login,
  consent,
  mcpConsole,
  flowSteps,
  browserLog,
}) => {
  await test.step('the SPA discovers the server and redirects to the AS login page', async () => {
    // Served under a CSP without inline script: the whole flow below runs under it.
    const response = await home.goto(env.mcpUrl);
    expectSpaSecurityHeaders(await response.allHeaders());
    await home.connect();
    await login.expectLoaded();
    expect(page.url().startsWith(`${env.asUrl}/authorize`)).toBe(true);
  });

  await test.step('sign in and review the consent page', async () => {
    await login.signIn(env.user, env.password);
    await consent.expectLoaded();
    await consent.expectDetails({
      clientName: CLIENT_NAME,
      scope: SCOPE,
      redirectHost: env.spaHost,
      resource: env.mcpUrl,
    });
  });

  await test.step('allow: the SPA exchanges the code and opens the console', async () => {
    await consent.allow();
    await mcpConsole.expectSignedIn(env.user);
    expect(browserLog.reached(`${env.spaUrl}/callback`)).toBe(true);
    expect(browserLog.tokenRequests.length).toBeGreaterThan(0);
  });

  await test.step('every timeline step succeeded', async () => {
    await flowSteps.expectAllOk();
  });

  await test.step('each step lists its HTTP exchanges, with every secret redacted', async () => {
    const probe = mcpConsole.step('unauthenticated-request').locator('details[data-exchange]');
    await expect(probe).toHaveAttribute('data-http-status', '401');
    const token = mcpConsole.step('token').locator('details[data-exchange]');
    await expect(token).toHaveCount(1);
    await expect(token).toHaveAttribute('data-http-status', '200');
    await expect(token.locator('summary')).toContainText(`POST ${env.asUrl}/token`);
    await expect(token.locator('pre')).toContainText('code_verifier=%5Bredacted%5D');
    const stored = await mcpConsole.storedSession();
    const html = await page.content();
    for (const secret of [stored?.access_token, stored?.refresh_token]) {
      expect(secret).toBeTruthy();
      expect(html.includes(secret ?? ''), 'a token is shown in the page').toBe(false);
    }
  });

  await test.step('the console lists the tools and resources', async () => {
    await expect(mcpConsole.tools.filter({ hasText: 'get_user_data' })).not.toHaveCount(0);
    await expect(mcpConsole.resources.filter({ hasText: 'user://profile' })).not.toHaveCount(0);
    await expect(mcpConsole.resources.filter({ hasText: 'user://stats' })).not.toHaveCount(0);
  });

  let userId: string | undefined;
  await test.step('get_user_data returns alice', async () => {
    const data = await mcpConsole.runAndReadJson(mcpConsole.callGetUserData, mcpConsole.userDataResult);
    expect(jsonContains(data, { key: 'username', value: env.user }), JSON.stringify(data)).toBe(true);
    userId = jsonFind(data, 'user_id');
    expect(userId, JSON.stringify(data)).toBeTruthy();
  });

  await test.step('user://profile and user://stats return alice', async () => {
    const profile = await mcpConsole.runAndReadJson(mcpConsole.readProfile, mcpConsole.profileResult);
    expect(jsonContains(profile, { key: 'username', value: env.user }), JSON.stringify(profile)).toBe(true);
    expect(jsonContains(profile, { key: 'email', value: env.userEmail }), JSON.stringify(profile)).toBe(true);
    expect(jsonFind(profile, 'user_id'), JSON.stringify(profile)).toBe(userId);
    // The stats name the user by id: it must be alice's.
    const stats = await mcpConsole.runAndReadJson(mcpConsole.readStats, mcpConsole.statsResult);
    expect(jsonFind(stats, 'user_id'), JSON.stringify(stats)).toBe(userId);
  });

  await test.step('the CSP never had to block anything the SPA did', async () => {
    expect(browserLog.cspViolations).toEqual([]);
  });
});
