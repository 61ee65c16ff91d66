// Headless Debian Chromium (through playwright-core, no browser download) acting as the user:
// opens the authorization URL the SDK hands over, signs in on the server's login page, checks
// the consent page and presses Allow. The redirect to the client's loopback callback ends it.
import { chromium } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

/**
 * @param {URL} authorizationUrl what the SDK passed to redirectToAuthorization
 * @param {{ chromium: string, username: string, password: string, clientName: string, callbackPrefix: string }} opts
 */
export async function signInAndAllow(authorizationUrl, opts) {
  const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ARGS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(authorizationUrl.href);
    const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
    await form.locator('input[name="username"]').fill(opts.username);
    await form.locator('input[name="password"]').fill(opts.password);
    await form.getByRole('button', { name: 'Sign in' }).click();

    await page.locator('h1', { hasText: 'Authorize' }).waitFor();
    const consent = await page.locator('body').innerText();
    if (!consent.includes(opts.clientName)) {
      throw new Error(`consent page does not name the client "${opts.clientName}":\n${consent}`);
    }
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(opts.callbackPrefix)),
      page.locator('button[name="decision"][value="allow"]').click(),
    ]);
    return page.url();
  } finally {
    await browser.close();
  }
}
