import { expect, test } from '../fixtures';

test('denying consent returns access_denied and no token', async ({
  page,
  env,
  flow,
  consent,
  callback,
  mcpConsole,
  browserLog,
}) => {
  await flow.start();
  await flow.signIn();
  await consent.deny();

  await page.waitForURL((url) => url.href.startsWith(env.spaUrl));
  await expect(callback.error).toContainText('denied');
  const callbacks = browserLog.navigations.filter((u) => u.startsWith(`${env.spaUrl}/callback`));
  expect(callbacks.length, JSON.stringify(browserLog.navigations)).toBeGreaterThan(0);
  expect(new URL(callbacks[0]).searchParams.get('error')).toBe('access_denied');
  expect(browserLog.urlsWithCode()).toEqual([]);
  expect(browserLog.tokenRequests).toEqual([]);

  await mcpConsole.goto();
  await mcpConsole.expectLoginRequired();
});
