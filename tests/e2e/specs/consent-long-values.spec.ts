/**
 * The consent page keeps long values (a 200-character client name with no space or hyphen, where
 * the browser could break the line by itself, and the client id) inside its card: they wrap
 * instead of widening the page. Without `overflow-wrap` on the card the heading overflowed it.
 */
import { expect, test } from '../fixtures';
import { SCOPE } from '../pages/flow';

test('long client names and ids wrap on the consent page', async ({ page, env, login, consent }) => {
  const redirectUri = `${env.spaUrl}/callback`;
  // No space or hyphen: nowhere the browser may break the line by itself.
  const longName = 'AnApplicationWithAVeryLongName'.repeat(7).slice(0, 200);
  const registered = await page.request.post(`${env.asUrl}/register`, {
    data: { redirect_uris: [redirectUri], client_name: longName },
  });
  expect(registered.status()).toBe(201);
  const { client_id: clientId } = (await registered.json()) as { client_id: string };

  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'long-values',
    resource: env.mcpUrl,
    scope: SCOPE,
  });
  await page.setViewportSize({ width: 480, height: 900 });
  await page.goto(`${env.asUrl}/authorize?${query.toString()}`);
  await login.signIn(env.user, env.password);
  await consent.expectLoaded();
  await expect(page.locator('.facts')).toContainText(longName);
  await expect(page.locator('.facts')).toContainText(clientId);

  const overflow = await page.evaluate(() => {
    const card = document.querySelector('.card') as HTMLElement;
    return {
      card: card.scrollWidth - card.clientWidth,
      page: document.documentElement.scrollWidth - window.innerWidth,
    };
  });
  expect(overflow.card, 'the consent card overflows').toBeLessThanOrEqual(1);
  expect(overflow.page, 'the page scrolls sideways').toBeLessThanOrEqual(1);
});
