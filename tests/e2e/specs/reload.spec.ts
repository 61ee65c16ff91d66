import { expect, test } from '../fixtures';
import { jsonContains } from '../pages/spa';

test('the console survives a reload', async ({ page, env, flow, mcpConsole }) => {
  await flow.signInAndAllow();

  await page.reload();
  await mcpConsole.expectSignedIn(env.user);
  const data = await mcpConsole.runAndReadJson(mcpConsole.callGetUserData, mcpConsole.userDataResult);
  expect(jsonContains(data, { key: 'username', value: env.user }), JSON.stringify(data)).toBe(true);
});
