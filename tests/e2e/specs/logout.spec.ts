import { expect, test } from '../fixtures';
import { AsApi, nextTokenExchange } from '../pages/as-api';

test('logout forgets the session', async ({ flow, home, mcpConsole }) => {
  await flow.signInAndAllow();

  await mcpConsole.logout();
  await home.expectPath('/');
  await expect(home.notice).toContainText('You have been logged out.');

  await mcpConsole.goto();
  await mcpConsole.expectLoginRequired();
});

test('logout revokes the grant at the authorization server', async ({
  page,
  request,
  env,
  flow,
  home,
  mcpConsole,
}) => {
  const api = new AsApi(request, env);
  // Observe (not alter) what the SPA receives, to check those tokens afterwards.
  const exchange = nextTokenExchange(page, env.asUrl);
  await flow.signInAndAllow();
  const { form, body: tokens } = await exchange;
  const clientId = form.get('client_id') ?? '';
  const accessToken = String(tokens.access_token ?? '');
  expect(accessToken, 'access_token in the /token response').not.toBe('');
  expect((await api.introspect(accessToken)).active).toBe(true);

  const revoked = page.waitForResponse((r) => r.url() === `${env.asUrl}/revoke`);
  await mcpConsole.logout();
  expect((await revoked).status()).toBe(200);
  await home.expectPath('/');

  // Revocation is visible at once through introspection; a resource server that verifies JWTs
  // locally (the default) keeps accepting the access token until it expires.
  await expect.poll(async () => (await api.introspect(accessToken)).active).toBe(false);
  // The grant is over: its refresh token is refused too.
  const refreshToken = String(tokens.refresh_token ?? '');
  expect(refreshToken, 'refresh_token in the /token response').not.toBe('');
  const resp = await api.refresh(refreshToken, clientId);
  expect(resp.status(), await resp.text()).toBe(400);
  expect(((await resp.json()) as { error?: string }).error).toBe('invalid_grant');
});

test('back and forward after logout move between the SPA pages without reloading it', async ({
  page,
  flow,
  home,
  mcpConsole,
}) => {
  await flow.signInAndAllow();
  await mcpConsole.logout();
  await home.expectPath('/');
  // A marker on window survives only if the app's own router handles the moves (no reload).
  await page.evaluate(() => Object.assign(window, { spaMarker: 'kept' }));

  await page.goBack();
  await mcpConsole.expectLoginRequired();
  await page.goForward();
  await home.expectPath('/');
  await expect(home.notice).toContainText('You have been logged out.');
  expect(await page.evaluate(() => (window as unknown as { spaMarker?: string }).spaMarker)).toBe('kept');
});
