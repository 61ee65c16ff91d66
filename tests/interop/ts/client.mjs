// Interop: the official MCP TypeScript SDK client (@modelcontextprotocol/sdk) runs the whole
// authorization flow against the server, unmodified: its StreamableHTTPClientTransport with an
// OAuthClientProvider does 401 → RFC 9728 → RFC 8414 → RFC 7591 → /authorize (PKCE S256,
// resource) → code exchange; a real Chromium signs in and allows; then initialize, tools/list,
// tools/call get_user_data, and the SDK's refresh after the server rejects an access token.
//
// env: INTEROP_MCP_URL, INTEROP_AS_URL, INTEROP_USER, INTEROP_PASSWORD, INTEROP_CHROMIUM
// Exits non-zero with a message on the first failed check. Run by tests/interop/run.sh.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { signInAndAllow } from './browser.mjs';

const env = (name) => process.env[name] || assert.fail(`${name} is not set (run tests/interop/run.sh)`);
const mcpUrl = new URL(env('INTEROP_MCP_URL'));
const asUrl = env('INTEROP_AS_URL');
const username = env('INTEROP_USER');
const password = env('INTEROP_PASSWORD');
const chromiumPath = process.env.INTEROP_CHROMIUM || '/usr/bin/chromium';
const CLIENT_NAME = 'TypeScript SDK interop client';

/** The loopback callback (RFC 8252 §7.3): one request carrying code, state and iss. */
async function startCallbackServer() {
  let deliver;
  const received = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname !== '/callback') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
    deliver(url.searchParams);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, redirectUrl: `http://127.0.0.1:${server.address().port}/callback` };
}

/** An OAuthClientProvider keeping everything in memory, as a CLI client would for one run. */
class InMemoryProvider {
  constructor(redirectUrl) {
    this._redirectUrl = redirectUrl;
    this.expectedState = randomBytes(16).toString('base64url');
    this.authorizations = 0;
    this.browserDone = null;
  }
  get redirectUrl() { return this._redirectUrl; }
  get clientMetadata() {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { return this.expectedState; }
  clientInformation() { return this._client; }
  saveClientInformation(info) { this._client = info; }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; }
  saveCodeVerifier(verifier) { this._verifier = verifier; }
  codeVerifier() { return this._verifier ?? assert.fail('no code verifier saved'); }
  redirectToAuthorization(url) {
    this.authorizations += 1;
    this.authorizationUrl = url;
    this.browserDone = signInAndAllow(url, {
      chromium: chromiumPath, username, password, clientName: CLIENT_NAME, callbackPrefix: this._redirectUrl,
    });
    this.browserDone.catch(() => {}); // awaited (and reported) in main; no unhandled rejection meanwhile
  }
}

/** Records every request the SDK makes (it uses this fetch for MCP and for OAuth alike). */
const requests = [];
const recordingFetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  requests.push({ method: init?.method ?? 'GET', path: `${url.origin}${url.pathname}`, status: response.status });
  return response;
};

const connect = async (provider) => {
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch });
  const client = new Client({ name: 'mcp-auth-interop-ts', version: '0.0.0' });
  await client.connect(transport);
  return { client, transport };
};

async function callGetUserData(client) {
  const result = await client.callTool({ name: 'get_user_data', arguments: {} });
  assert.equal(result.isError ?? false, false, `get_user_data failed: ${JSON.stringify(result)}`);
  const data = result.structuredContent ?? JSON.parse(result.content[0].text);
  assert.equal(data.username, username, `get_user_data returned another user's data: ${JSON.stringify(data)}`);
  assert.match(data.user_id, /\S/, 'get_user_data has a user_id');
  return data;
}

async function main() {
  const callback = await startCallbackServer();
  const provider = new InMemoryProvider(callback.redirectUrl);
  try {
    // 1. No token yet: the SDK meets the 401, discovers, registers and sends the browser.
    await assert.rejects(connect(provider), UnauthorizedError, 'first connect must need authorization');
    assert.equal(provider.authorizations, 1, 'the SDK opened the authorization URL once');
    const authorize = provider.authorizationUrl;
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${asUrl}/authorize`);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('resource'), mcpUrl.href);
    assert.equal(authorize.searchParams.get('redirect_uri'), callback.redirectUrl);
    const seen = requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    for (const expected of [
      `POST ${mcpUrl.href} 401`,
      `GET ${mcpUrl.origin}/.well-known/oauth-protected-resource${mcpUrl.pathname} 200`,
      `GET ${asUrl}/.well-known/oauth-authorization-server 200`,
      `POST ${asUrl}/register 201`,
    ]) {
      assert.ok(seen.includes(expected), `expected "${expected}" among the SDK's requests:\n${seen.join('\n')}`);
    }

    // 2. The browser signs in and allows; the callback receives code, state and iss.
    await provider.browserDone;
    const params = await callback.received;
    assert.equal(params.get('error'), null, `authorization failed: ${params}`);
    assert.equal(params.get('state'), provider.expectedState, 'state comes back unchanged');
    assert.equal(params.get('iss'), asUrl, 'RFC 9207 iss names the authorization server');
    const code = params.get('code') ?? assert.fail('no code in the callback');

    // 3. The SDK exchanges the code (PKCE verifier + resource), then connects with the token.
    const firstTransport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch });
    await firstTransport.finishAuth(code);
    const tokens = provider.tokens() ?? assert.fail('no tokens saved after finishAuth');
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.refresh_token, 'the client registered refresh_token and got one');

    const { client } = await connect(provider);
    assert.equal(client.getServerVersion()?.name !== undefined, true, 'initialize returned server info');
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_user_data'), `tools/list: ${tools.map((t) => t.name)}`);
    const data = await callGetUserData(client);
    await client.close();

    // 4. The server rejects a bad access token with 401; the SDK refreshes and retries.
    const refreshBefore = tokens.refresh_token;
    provider.saveTokens({ ...tokens, access_token: 'not-a-valid-token' });
    const again = await connect(provider);
    const dataAgain = await callGetUserData(again.client);
    assert.equal(dataAgain.user_id, data.user_id);
    const refreshed = provider.tokens();
    assert.notEqual(refreshed.access_token, 'not-a-valid-token', 'a new access token was saved');
    assert.notEqual(refreshed.refresh_token, refreshBefore, 'the refresh token was rotated');
    assert.equal(provider.authorizations, 1, 'refresh needed no new browser authorization');
    await again.client.close();

    console.log(`[interop-ts] ok: ${username} (${data.user_id}) via @modelcontextprotocol/sdk, refresh ok`);
  } finally {
    callback.server.close();
  }
}

main().catch((error) => {
  console.error(`[interop-ts] FAILED: ${error?.stack ?? error}`);
  process.exit(1);
});
