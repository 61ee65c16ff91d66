import { expect, test } from '../fixtures';
import { MaliciousServer } from '../pages/malicious-server';

/**
 * The MCP server URL typed into the SPA is parsed by the browser's own URL parser (the SPA ships
 * no `url` crate) and held to the same rule as every URL the client sends tokens to: https, or
 * http on a loopback host. Refused spellings stop the flow before any request leaves the page;
 * an odd but loopback spelling (upper-case scheme, IPv4 shorthand) is normalised and goes on.
 */
const refused: { input: string; reason: string }[] = [
  { input: 'http://example.com/mcp', reason: 'http is only allowed for loopback hosts' },
  { input: 'http://127.0.0.1.example.com/mcp', reason: 'http is only allowed for loopback hosts' },
  { input: 'javascript:alert(1)', reason: 'must use https (or http on a loopback host)' },
  { input: 'https://user@example.com/mcp', reason: 'must not contain user information' },
  { input: '/mcp', reason: 'must be an absolute URL' },
];

for (const c of refused) {
  test(`the SPA refuses the MCP server URL ${c.input}`, async ({ page, env, home }) => {
    const spaOrigin = new URL(env.spaUrl).origin;
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(spaOrigin)) elsewhere.push(r.url());
    });
    await home.goto(c.input);
    await home.connect();
    const step = home.step('unauthenticated-request');
    await expect(step).toHaveAttribute('data-status', 'error');
    await expect(step).toContainText(c.reason);
    await expect(home.error).toContainText(c.reason);
    await expect(home.step('prm')).toHaveCount(0);
    expect(elsewhere).toEqual([]);
    expect(await home.pendingFlow()).toBeNull();
  });
}

test('an upper-case scheme and IPv4 shorthand for loopback are normalised and accepted', async ({ page, home }) => {
  const server = await MaliciousServer.start(() => ({}));
  try {
    const port = new URL(server.url).port;
    await home.goto(`HTTP://127.1:${port}/mcp`);
    const redirected = page.waitForURL((u) => u.origin === server.url && u.pathname === '/authorize');
    await home.connect();
    await redirected;
    expect(server.requests).toContain('POST /mcp');
    expect(new URL(page.url()).searchParams.get('resource')).toBe(server.mcpUrl);
  } finally {
    await server.stop();
  }
});
