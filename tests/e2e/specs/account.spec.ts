import { expect, test } from '../fixtures';
import { AsAccountPage } from '../pages/account';
import { CLIENT_NAME } from '../pages/flow';

const REVOKED = 'Your session has expired or was revoked. Please log in again.';

test('revoking access on the account page ends the SPA session', async ({
  page,
  context,
  env,
  flow,
  home,
  consent,
  login,
  mcpConsole,
}) => {
  await flow.signInAndAllow();
  const session = await mcpConsole.storedSession();
  const clientId = session?.client_id ?? '';
  expect(clientId).not.toBe('');

  await test.step('the account page (same browser, another tab) lists the app; revoke it', async () => {
    const tab = await context.newPage();
    const account = new AsAccountPage(tab, env.asUrl);
    await account.goto();
    await account.expectSignedIn(env.user);
    const grant = account.grant(CLIENT_NAME).filter({ hasText: clientId });
    await expect(grant).toHaveCount(1);
    await expect(account.revokeButton(grant)).toBeVisible();
    await account.revoke(grant);
    await expect(account.grant(CLIENT_NAME).filter({ hasText: clientId })).toHaveCount(0);
    await tab.close();
  });

  await test.step('the console cannot renew its tokens any more: log in again', async () => {
    // The console in the first tab still holds its (locally verified, unexpired) JWT; the
    // refresh token went with the grant.
    await page.bringToFront();
    await expect(mcpConsole.whoami).toHaveText(env.user);
    const refused = page.waitForResponse((r) => r.url() === `${env.asUrl}/token`);
    await mcpConsole.refreshNow();
    const answer = await refused;
    expect(answer.status()).toBe(400);
    expect(((await answer.json()) as { error?: string }).error).toBe('invalid_grant');
    await mcpConsole.expectLoginRequired();
    await expect(mcpConsole.error).toHaveText(REVOKED);
    expect(await mcpConsole.storedSession()).toBeNull();
  });

  await test.step('logging in again asks for consent anew (it was revoked), not for the password', async () => {
    await mcpConsole.loginAgain.click();
    await home.expectPath('/');
    await home.connect();
    await consent.expectLoaded();
    await expect(login.password).toHaveCount(0);
    await consent.allow();
    await mcpConsole.expectSignedIn(env.user);
    expect((await mcpConsole.storedSession())?.client_id).toBe(clientId);
  });
});
