import { expect, test } from '../fixtures';

test('a wrong password is refused and no code is issued', async ({
  page,
  env,
  flow,
  login,
  consent,
  browserLog,
}) => {
  await flow.start();
  await login.signIn(env.user, `wrong-${env.password}`);

  await expect(login.alert).toContainText('Invalid username or password');
  await expect(login.password).toBeVisible();
  expect(page.url().startsWith(env.asUrl), page.url()).toBe(true);
  await expect(consent.allowButton).toHaveCount(0);
  expect(browserLog.urlsWithCode()).toEqual([]);
  expect(browserLog.reached(`${env.spaUrl}/callback`)).toBe(false);
  expect(browserLog.tokenRequests).toEqual([]);

  // The refusal does not break the flow: the right password still gets to the consent page.
  await flow.signIn();
  expect(browserLog.urlsWithCode()).toEqual([]);
});
