import { expect, test } from '../fixtures';
import { AsApi } from '../pages/as-api';
import { jsonContains } from '../pages/spa';

/** Longest access-token lifetime this spec is willing to sit out. */
const MAX_TTL_S = 120;

test('the console outlives its access token and renews it on demand', async ({
  page,
  request,
  env,
  flow,
  mcpConsole,
}) => {
  test.skip(env.accessTokenTtl > MAX_TTL_S, `access tokens live ${env.accessTokenTtl} s (E2E_ACCESS_TOKEN_TTL)`);
  test.setTimeout(60_000 + 2 * env.accessTokenTtl * 1000);
  const api = new AsApi(request, env);

  await flow.signInAndAllow();
  const first = await mcpConsole.storedSession();
  expect(first, 'the session record in sessionStorage').not.toBeNull();
  const firstToken = first?.access_token ?? '';
  const firstExpiry = first?.expires_at ?? 0;

  await test.step('the session card shows the expiry and a refresh token', async () => {
    await expect(mcpConsole.hasRefresh).toHaveText('yes');
    // The card shows the stored expiry (to the millisecond), the token's lifetime from now.
    expect(await mcpConsole.shownExpiry()).toBe(firstExpiry);
    expect(first?.expires_in).toBe(env.accessTokenTtl);
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(env.accessTokenTtl * 1000);
    expect((await api.introspect(firstToken)).active).toBe(true);
  });

  await test.step('after the access token expired, an MCP call renews it first', async () => {
    const wait = firstExpiry + 2_000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    expect((await api.introspect(firstToken)).active, 'the first access token has expired').toBe(false);

    const refreshed = page.waitForResponse(
      (r) =>
        r.url() === `${env.asUrl}/token` &&
        new URLSearchParams(r.request().postData() ?? '').get('grant_type') === 'refresh_token',
    );
    const toolCall = page.waitForRequest(
      (r) => r.url() === env.mcpUrl && r.method() === 'POST' && (r.postData() ?? '').includes('tools/call'),
    );
    const data = await mcpConsole.runAndReadJson(mcpConsole.callGetUserData, mcpConsole.userDataResult);
    expect(jsonContains(data, { key: 'username', value: env.user }), JSON.stringify(data)).toBe(true);
    expect((await refreshed).status()).toBe(200);

    const second = await mcpConsole.storedSession();
    const secondToken = second?.access_token ?? '';
    expect(secondToken).not.toBe('');
    expect(secondToken).not.toBe(firstToken);
    expect(second?.refresh_token).not.toBe(first?.refresh_token);
    expect(second?.expires_at ?? 0).toBeGreaterThan(firstExpiry);
    // The tool call went out with the new token.
    expect((await toolCall).headers()['authorization']).toBe(`Bearer ${secondToken}`);
    await expect(mcpConsole.refreshStatus).toContainText('Renewed once');
    await expect(mcpConsole.hasRefresh).toHaveText('yes');
  });

  await test.step('"Refresh token now" replaces the tokens again', async () => {
    const before = await mcpConsole.storedSession();
    const beforeExpiryText = await mcpConsole.tokenExpiry.textContent();
    await mcpConsole.refreshNow();
    await expect(mcpConsole.refreshStatus).toContainText('Renewed 2 times');
    const after = await mcpConsole.storedSession();
    expect(after?.access_token).toBeTruthy();
    expect(after?.access_token).not.toBe(before?.access_token);
    expect(after?.refresh_token).not.toBe(before?.refresh_token);
    await expect(mcpConsole.tokenExpiry).not.toHaveText(beforeExpiryText ?? '');
    expect((await api.introspect(after?.access_token ?? '')).active).toBe(true);
    await expect(mcpConsole.error).toHaveCount(0);
  });
});
