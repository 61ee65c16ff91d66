import type { Request, Response } from '@playwright/test';
import { expect, test } from '../fixtures';
import { AsApi } from '../pages/as-api';
import { jsonContains, SESSION_KEY } from '../pages/spa';

/** Longest access-token lifetime this spec is willing to sit out. */
const MAX_TTL_S = 120;

/** Selectors of the three console buttons that each send one MCP request. */
const CALL_BUTTONS = [
  '[data-tool="get_user_data"] [data-testid="call-tool"]',
  '[data-resource="user://profile"] [data-testid="read-resource"]',
  '[data-resource="user://stats"] [data-testid="read-resource"]',
];

const isRefresh = (r: Request, asUrl: string): boolean =>
  r.url() === `${asUrl}/token` &&
  r.method() === 'POST' &&
  new URLSearchParams(r.postData() ?? '').get('grant_type') === 'refresh_token';

const isCall = (r: Request, mcpUrl: string): boolean =>
  r.url() === mcpUrl && r.method() === 'POST' && /"(tools\/call|resources\/read)"/.test(r.postData() ?? '');

// The server runs with --jwt-leeway-secs 0 (run.sh), so an expired token is refused at once.
test('refused with 401, the console renews once for all the calls in flight and retries each', async ({
  page,
  request,
  env,
  flow,
  mcpConsole,
}) => {
  test.skip(env.accessTokenTtl > MAX_TTL_S, `access tokens live ${env.accessTokenTtl} s (E2E_ACCESS_TOKEN_TTL)`);
  test.setTimeout(60_000 + env.accessTokenTtl * 1000);
  const api = new AsApi(request, env);

  await flow.signInAndAllow();
  const first = await mcpConsole.storedSession();
  const firstToken = first?.access_token ?? '';
  const firstRefresh = first?.refresh_token ?? '';
  expect(firstToken, 'an access token after sign-in').not.toBe('');
  expect(firstRefresh, 'a refresh token after sign-in').not.toBe('');

  await test.step('the console believes its token lives an hour, so only a 401 can tell it otherwise', async () => {
    await page.evaluate((key) => {
      const session = JSON.parse(window.sessionStorage.getItem(key) ?? 'null') as { expires_at: number };
      session.expires_at = Date.now() + 3_600_000;
      window.sessionStorage.setItem(key, JSON.stringify(session));
    }, SESSION_KEY);
    await page.reload();
    await mcpConsole.expectSignedIn(env.user);
    expect((await mcpConsole.storedSession())?.access_token, 'opening the console renewed nothing').toBe(firstToken);
  });

  await test.step('the access token expires at the servers', async () => {
    const wait = (first?.expires_at ?? 0) + 1_500 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    expect((await api.introspect(firstToken)).active, 'the first access token has expired').toBe(false);
  });

  const refreshes: Request[] = [];
  const calls: Request[] = [];
  const refused: Response[] = [];
  page.on('request', (r) => {
    if (isRefresh(r, env.asUrl)) refreshes.push(r);
    if (isCall(r, env.mcpUrl)) calls.push(r);
  });
  page.on('response', (r) => {
    if (isCall(r.request(), env.mcpUrl) && r.status() === 401) refused.push(r);
  });

  await test.step('three calls leave together; each is refused, one refresh serves them all', async () => {
    // One task clicks all three, so all three requests leave before any answer is handled.
    await page.evaluate((ids) => {
      for (const selector of ids) (document.querySelector(selector) as HTMLButtonElement).click();
    }, CALL_BUTTONS);

    for (const result of [mcpConsole.userDataResult, mcpConsole.profileResult, mcpConsole.statsResult]) {
      await expect(result).not.toBeEmpty();
    }
    await expect(mcpConsole.error).toHaveCount(0);
    const userData = JSON.parse((await mcpConsole.userDataResult.textContent()) ?? 'null') as unknown;
    expect(jsonContains(userData, { key: 'username', value: env.user }), JSON.stringify(userData)).toBe(true);

    expect(refused, 'every call first went out with the expired token and was refused').toHaveLength(3);
    for (const r of refused) {
      expect(r.headers()['www-authenticate']).toContain('error="invalid_token"');
      expect(r.request().headers()['authorization']).toBe(`Bearer ${firstToken}`);
    }
    expect(refreshes, 'one refresh for the three refused calls').toHaveLength(1);
    expect((await refreshes[0].response())?.status()).toBe(200);
    expect(new URLSearchParams(refreshes[0].postData() ?? '').get('refresh_token')).toBe(firstRefresh);

    const second = await mcpConsole.storedSession();
    const secondToken = second?.access_token ?? '';
    expect(secondToken).not.toBe(firstToken);
    expect(second?.refresh_token).not.toBe(firstRefresh);
    const retried = calls.filter((r) => r.headers()['authorization'] === `Bearer ${secondToken}`);
    expect(retried, 'each refused call was retried once, with the new token').toHaveLength(3);
    expect(calls).toHaveLength(6);
    await expect(mcpConsole.refreshStatus).toContainText('Renewed once');
    expect((await api.introspect(secondToken)).active).toBe(true);
  });
});
