/**
 * The console is a client for any MCP server, not only this project's: against a second,
 * differently shaped server (`serve --fixture-mcp`, behind its own authorization server, so the
 * login is real) it lists that server's tools, resources and prompts, builds forms from their
 * schemas, and shows text, structured and image results.
 */
import { expect, test } from '../fixtures';
import { AsConsentPage } from '../pages/consent';
import { AsLoginPage } from '../pages/login';

test('the console works against a differently shaped MCP server', async ({ page, env, home, mcpConsole, browserLog }) => {
  const login = new AsLoginPage(page, env.fixtureAsUrl);
  const consent = new AsConsentPage(page, env.fixtureAsUrl);

  await test.step('log in through the fixture server’s own authorization server', async () => {
    await home.goto(env.fixtureMcpUrl);
    await home.connect();
    await login.expectLoaded();
    await login.signIn(env.user, env.password);
    await consent.expectLoaded();
    await consent.allow();
    await mcpConsole.expectPath('/console');
    await expect(page.getByTestId('server-info')).toContainText('fixture-mcp 9.9.9');
  });

  await test.step('it lists what that server offers, not this project’s tools', async () => {
    await expect(mcpConsole.tools).toHaveCount(3);
    await expect(mcpConsole.tool('get_user_data')).toHaveCount(0);
    await expect(mcpConsole.resources).toHaveCount(1);
    await expect(mcpConsole.prompt('greet')).toHaveCount(1);
    // No user://profile here, so the console does not claim to know who is logged in.
    await expect(mcpConsole.whoami).toHaveCount(0);
  });

  await test.step('a form from an enum + integer + boolean schema; required fields are enforced', async () => {
    const card = mcpConsole.tool('configure_widget');
    await card.getByTestId('call-tool').click();
    await expect(card.getByTestId('form-error')).toContainText('color is required');
    await card.locator('[data-field="color"]').selectOption('blue');
    await card.locator('[data-field="count"]').fill('3');
    await card.locator('[data-field="loud"]').check();
    // An array property has no widget of its own: the raw-JSON fallback.
    await card.locator('[data-field="tags"]').fill('["a", "b"]');
    await card.getByTestId('call-tool').click();
    await expect(card.getByTestId('content-text')).toHaveText('3 BLUE WIDGET(S), LOUD=TRUE; tags=["a","b"]');
    await expect(card.getByTestId('form-error')).toHaveCount(0);
  });

  await test.step('structuredContent is shown as pretty JSON, long values wrap', async () => {
    const card = mcpConsole.tool('measure_box');
    await card.locator('[data-field="side"]').fill('2.5');
    await card.getByTestId('call-tool').click();
    const structured = card.getByTestId('structured');
    await expect(structured).toBeVisible();
    const value = JSON.parse((await structured.textContent()) ?? 'null') as Record<string, unknown>;
    expect(value.area_cm2).toBe(6.25);
    // The 200-digit note wraps inside the card instead of widening it.
    const fits = await structured.evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
    expect(fits, 'the structured result overflows its box').toBe(true);
  });

  await test.step('an image block becomes an <img> with a data URL', async () => {
    const card = mcpConsole.tool('draw_picture');
    await card.getByTestId('call-tool').click();
    const img = card.getByTestId('content-image');
    await expect(img).toHaveAttribute('src', /^data:image\/png;base64,iVBOR/);
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(1);
  });

  await test.step('a resource is read', async () => {
    const card = mcpConsole.resource('fixture://notes');
    await card.getByTestId('read-resource').click();
    await expect(card.getByTestId('content-text')).toHaveText("These are the fixture server's notes.");
  });

  await test.step('a prompt is got with its arguments', async () => {
    const card = mcpConsole.prompt('greet');
    await card.locator('[data-field="name"]').fill('Ada');
    await card.locator('[data-field="tone"]').fill('formal');
    await card.getByTestId('get-prompt').click();
    await expect(card.getByTestId('prompt-message')).toContainText('Good day, Ada.');
  });

  await test.step('no errors, and the CSP allowed everything (the data: image included)', async () => {
    await expect(mcpConsole.error).toHaveCount(0);
    expect(browserLog.cspViolations).toEqual([]);
  });
});
