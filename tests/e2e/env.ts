/**
 * The settings of one end-to-end run, read from the E2E_* variables that run.sh exports.
 * Nothing here picks ports or creates data: run.sh starts the server (on ports it binds itself,
 * reported through --ready-file) before Playwright starts, and stops it afterwards.
 */
export interface E2eEnv {
  asUrl: string;
  rsUrl: string;
  spaUrl: string;
  /** The MCP endpoint the SPA connects to (`<RS>/mcp`). */
  mcpUrl: string;
  /** `host:port` of the SPA, as the consent page shows a redirect URI's host. */
  spaHost: string;
  user: string;
  password: string;
  userName: string;
  userEmail: string;
  /** Where Playwright writes traces and screenshots: this run's own folder. */
  outputDir: string;
  chromium: string;
  /** Secret of the built-in `mcp-resource-server` client at the introspection endpoint. */
  introspectionSecret: string;
  /** Access-token lifetime the server runs with (`--access-token-ttl`), in seconds. */
  accessTokenTtl: number;
  /** A second, differently shaped MCP server (`serve --fixture-mcp`) and its own AS. */
  fixtureMcpUrl: string;
  fixtureAsUrl: string;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: start the end-to-end tests with tests/e2e/run.sh ` +
        '(or scripts/test.sh), which prepares the database, ports and server for them',
    );
  }
  return value;
}

function positiveInt(name: string): number {
  const raw = need(name);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of seconds, got "${raw}"`);
  return value;
}

export function e2eEnv(): E2eEnv {
  const rsUrl = need('E2E_RS_URL');
  const spaUrl = need('E2E_SPA_URL');
  return {
    asUrl: need('E2E_AS_URL'),
    rsUrl,
    spaUrl,
    mcpUrl: `${rsUrl}/mcp`,
    spaHost: new URL(spaUrl).host,
    user: need('E2E_USER'),
    password: need('E2E_PASSWORD'),
    userName: need('E2E_USER_NAME'),
    userEmail: need('E2E_USER_EMAIL'),
    outputDir: need('E2E_OUTPUT_DIR'),
    chromium: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    introspectionSecret: need('E2E_INTROSPECTION_SECRET'),
    accessTokenTtl: positiveInt('E2E_ACCESS_TOKEN_TTL'),
    fixtureMcpUrl: need('E2E_FIXTURE_MCP_URL'),
    fixtureAsUrl: need('E2E_FIXTURE_AS_URL'),
  };
}
