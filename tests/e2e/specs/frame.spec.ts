import type { APIResponse } from '@playwright/test';
import { expect, test } from '../fixtures';
import { embed, FramingSite } from '../pages/frame';
import { expectSpaSecurityHeaders } from '../pages/spa';

/** The anti-framing headers every authorization-server page must carry. */
function expectUnframeable(headers: Record<string, string>): void {
  expect(headers['x-frame-options'], JSON.stringify(headers)).toBe('DENY');
  const csp = headers['content-security-policy'] ?? '';
  expect(csp, JSON.stringify(headers)).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
}

async function expectHtmlWith(resp: APIResponse, selectorText: RegExp): Promise<void> {
  expect(resp.status()).toBe(200);
  expect(await resp.text()).toMatch(selectorText);
}

let framingSite: FramingSite;
test.beforeAll(async () => {
  framingSite = await FramingSite.start();
});
test.afterAll(async () => {
  await framingSite.stop();
});

test('the login and consent pages of the authorization server cannot be framed', async ({
  page,
  env,
  flow,
}) => {
  // A real authorization request, as the SPA builds it (registered client, PKCE S256, state).
  await flow.start();
  const authorizeUrl = page.url();
  expect(authorizeUrl.startsWith(`${env.asUrl}/authorize?`)).toBe(true);

  await test.step('control: a page without those headers renders inside the same iframe setup', async () => {
    await framingSite.open(page);
    const { frame } = await embed(page, `${env.asUrl}/.well-known/oauth-authorization-server`, 'control');
    await expect(frame.locator('body')).toContainText(env.asUrl);
  });

  await test.step('the login page sends DENY / frame-ancestors and is not rendered in a frame', async () => {
    // Fetched directly, the same URL is the login form, with the anti-framing headers.
    const direct = await page.request.get(authorizeUrl);
    expectUnframeable(direct.headers());
    await expectHtmlWith(direct, /<input[^>]*name="password"/);

    await framingSite.open(page);
    const { frame, response } = await embed(page, authorizeUrl, 'login');
    expect(response.status()).toBe(200);
    expectUnframeable(await response.allHeaders());
    await expect(frame.locator('input[name="password"]')).toHaveCount(0);
    await expect(frame.locator('form')).toHaveCount(0);
    // Chromium replaces a refused frame with its own error page.
    expect(frame.url()).toMatch(/^chrome-error:/);
  });

  await test.step('after signing in, the consent page is not rendered in a frame either', async () => {
    // Sign in at the top level: the browser now has a login session, so /authorize shows consent.
    await page.goto(authorizeUrl);
    await flow.signIn();
    const direct = await page.request.get(authorizeUrl);
    expectUnframeable(direct.headers());
    await expectHtmlWith(direct, /<button[^>]*value="allow"/);

    await framingSite.open(page);
    const { frame, response } = await embed(page, authorizeUrl, 'consent');
    expect(response.status()).toBe(200);
    expectUnframeable(await response.allHeaders());
    await expect(frame.locator('button[value="allow"]')).toHaveCount(0);
    await expect(frame.locator('form')).toHaveCount(0);
    // Chromium replaces a refused frame with its own error page.
    expect(frame.url()).toMatch(/^chrome-error:/);
  });
});

test('the SPA cannot be framed', async ({ page, env }) => {
  const spa = `${env.spaUrl}/?mcp=${encodeURIComponent(env.mcpUrl)}`;
  await framingSite.open(page);
  const { frame, response } = await embed(page, spa, 'spa');
  expect(response.status()).toBe(200);
  expectSpaSecurityHeaders(await response.allHeaders());
  await expect(frame.getByTestId('connect')).toHaveCount(0);
  // Chromium replaces a refused frame with its own error page.
  expect(frame.url()).toMatch(/^chrome-error:/);
});
