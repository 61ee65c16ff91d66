import { expect, test } from '../fixtures';
import { MaliciousServer } from '../pages/malicious-server';

/**
 * RFC 7591 §3.2.1 requires only `client_id` in a registration response; many authorization
 * servers send no `client_id_issued_at` and echo no metadata. The SPA must go on to the
 * authorization request with such a response. The server here is a real one on 127.0.0.1 with
 * valid metadata whose registration answers `{"client_id": …}` alone.
 */
test('a registration response with only a client_id is enough to continue', async ({ page, home }) => {
  const as = await MaliciousServer.start(() => ({}));
  as.registration = { client_id: 'minimal-client' };
  try {
    await home.goto(as.mcpUrl);
    // The authorization request leaves the SPA for this server's /authorize.
    const redirected = page.waitForURL((u) => u.origin === new URL(as.url).origin && u.pathname === '/authorize');
    await home.connect();
    await redirected;
    const query = new URL(page.url()).searchParams;
    expect(query.get('client_id')).toBe('minimal-client');
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(as.requests.filter((r) => r.startsWith('POST /register'))).toHaveLength(1);
  } finally {
    await as.stop();
  }
});
