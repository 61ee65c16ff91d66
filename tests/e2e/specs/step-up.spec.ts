import { expect, test } from '../fixtures';
import { AsApi } from '../pages/as-api';
import { CLIENT_NAME } from '../pages/flow';
import { jsonFind } from '../pages/spa';

const PENDING_CALL_KEY = 'mcp-auth.pending-call';

test('update_profile steps up from user to user user:write and retries once', async ({
  page,
  env,
  flow,
  login,
  consent,
  mcpConsole,
  browserLog,
  request,
}) => {
  const newName = `Alice Stepped ${Date.now() % 100000}`;

  await test.step('first login asks only for the user scope (least privilege)', async () => {
    await flow.signInAndAllow();
    expect((await mcpConsole.storedSession())?.scope).toBe('user');
    await expect(mcpConsole.sessionScope).toHaveText('user');
  });

  const clientId = (await mcpConsole.storedSession())?.client_id ?? '';
  const firstRefreshToken = (await mcpConsole.storedSession())?.refresh_token ?? '';
  const firstAccessToken = (await mcpConsole.storedSession())?.access_token ?? '';
  expect(firstRefreshToken).not.toBe('');
  const tokenRequestsBefore = browserLog.tokenRequests.length;
  const asDocumentsBefore = browserLog.asDocuments.length;

  await test.step('submitting the profile form leads to a consent page naming user:write', async () => {
    await mcpConsole.submitDisplayName(newName);
    // A real redirect: the 403 insufficient_scope made the SPA leave for the authorization server.
    await consent.expectLoaded();
    await consent.expectDetails({
      clientName: CLIENT_NAME,
      scope: 'user',
      redirectHost: env.spaHost,
      resource: env.mcpUrl,
    });
    await expect(consent.scopeNames).toHaveText(['user', 'user:write']);
    await expect(consent.main).toContainText('change your own profile');
    // The login session cookie spared the password: no login form this time.
    await expect(login.password).toHaveCount(0);
    const documents = browserLog.asDocuments.slice(asDocumentsBefore);
    const authorize = new URL(documents[0]?.url ?? 'http://missing/');
    expect(authorize.pathname).toBe('/authorize');
    expect(authorize.searchParams.get('scope')).toBe('user user:write');
    expect(authorize.searchParams.get('resource')).toBe(env.mcpUrl);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(clientId);
  });

  await test.step('allow: back in the console, the call was retried once and applied', async () => {
    await consent.allow();
    await mcpConsole.expectSignedIn(env.user);
    await expect(mcpConsole.updateProfileResult).toContainText(newName);
    const result = JSON.parse((await mcpConsole.updateProfileResult.textContent()) ?? '{}') as unknown;
    expect(jsonFind(result, 'name')).toBe(newName);
    await expect(mcpConsole.error).toHaveCount(0);
    // The timeline says why the app came back to the authorization server, and for which scope.
    const stepUp = mcpConsole.stepUpStep('step-up');
    await expect(stepUp).toHaveAttribute('data-status', 'ok');
    await expect(stepUp).toContainText('insufficient_scope');
    await expect(stepUp).toContainText('user:write');
    await expect(mcpConsole.stepUpStep('retry')).toHaveAttribute('data-status', 'ok');
    // A new code was exchanged, and the retry is not kept for another round.
    expect(browserLog.tokenRequests.length).toBeGreaterThan(tokenRequestsBefore);
    const pendingCall = await page.evaluate((key) => window.sessionStorage.getItem(key), PENDING_CALL_KEY);
    expect(pendingCall).toBeNull();
  });

  await test.step('the session now carries both scopes, and the server has the new name', async () => {
    const session = await mcpConsole.storedSession();
    expect(session?.scope).toBe('user user:write');
    // The user-only grant was superseded: the SPA revoked its refresh token (RFC 7009), which
    // ends that grant, its access token included. (The new refresh token is not touched here:
    // using it would rotate it under the SPA.)
    const api = new AsApi(request, env);
    await expect.poll(async () => (await api.introspect(firstAccessToken)).active).toBe(false);
    const refused = await api.refresh(firstRefreshToken, clientId);
    expect(refused.status()).toBe(400);
    expect(((await refused.json()) as { error?: string }).error).toBe('invalid_grant');
    await expect(mcpConsole.sessionScope).toHaveText('user user:write');
    const profile = await mcpConsole.runAndReadJson(mcpConsole.readProfile, mcpConsole.profileResult);
    expect(jsonFind(profile, 'name')).toBe(newName);
  });

  await test.step('with the wider token the next update needs no redirect', async () => {
    const navigationsBefore = browserLog.navigations.length;
    await mcpConsole.submitDisplayName(`${newName} II`);
    await expect(mcpConsole.updateProfileResult).toContainText(`${newName} II`);
    expect(browserLog.navigations.slice(navigationsBefore)).toEqual([]);
  });
});
