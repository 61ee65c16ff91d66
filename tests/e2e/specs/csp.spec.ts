import { expect, test } from '../fixtures';
import { expectSpaSecurityHeaders } from '../pages/spa';

/**
 * The second line of defence behind the SPA's URL checks: its Content-Security-Policy lets
 * only the app's own files run. Script that reaches the page some other way — a `javascript:`
 * URL handed to `location.assign`, an inline handler or `<script>` put into the DOM — is
 * blocked by Chromium, so it cannot read the pending flow or the tokens in sessionStorage.
 */
test('script the SPA did not ship does not run in its origin', async ({ page, env, home, browserLog }) => {
  const response = await home.goto(env.mcpUrl);
  expectSpaSecurityHeaders(await response.allHeaders());
  const title = await page.title();

  await test.step('a javascript: URL given to location.assign', async () => {
    await page.evaluate(() => window.location.assign("javascript:document.title='pwned-by-url'"));
    await expect.poll(() => browserLog.cspViolations.length).toBeGreaterThan(0);
  });

  await test.step('an inline event handler put into the page', async () => {
    const before = browserLog.cspViolations.length;
    await page.evaluate(() =>
      document.body.insertAdjacentHTML('beforeend', `<img src="/no-such.png" onerror="document.title='pwned-by-handler'">`),
    );
    await expect.poll(() => browserLog.cspViolations.length).toBeGreaterThan(before);
  });

  await test.step('an inline <script> element added to the page', async () => {
    const before = browserLog.cspViolations.length;
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = "document.title = 'pwned-by-script'";
      document.body.appendChild(script);
    });
    await expect.poll(() => browserLog.cspViolations.length).toBeGreaterThan(before);
  });

  expect(await page.title()).toBe(title);
  expect(new URL(page.url()).origin).toBe(new URL(env.spaUrl).origin);
  // The app itself still works: it is its own files that run.
  await expect(home.connectButton).toBeEnabled();
});
