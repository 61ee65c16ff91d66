/**
 * The settings of one end-to-end run, read from the E2E_* variables that run.sh exports.
 * Nothing here picks ports or creates data: playwright.config.ts is evaluated again in every
 * worker process, so everything random must be decided once, before Playwright starts.
 */
export interface E2eEnv {
  asUrl: string;
  rsUrl: string;
  spaUrl: string;
  /** The MCP endpoint the SPA connects to (`<RS>/mcp`). */
  mcpUrl: string;
  asPort: string;
  rsPort: string;
  spaPort: string;
  user: string;
  password: string;
  userName: string;
  userEmail: string;
  db: string;
  workDir: string;
  serverBin: string;
  serverLog: string;
  distDir: string;
  chromium: string;
  /** Secret of the built-in `mcp-resource-server` client at the introspection endpoint. */
  introspectionSecret: string;
  /** Access-token lifetime the server runs with (`--access-token-ttl`), in seconds. */
  accessTokenTtl: number;
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
  return {
    asUrl: need('E2E_AS_URL'),
    rsUrl,
    spaUrl: need('E2E_SPA_URL'),
    mcpUrl: `${rsUrl}/mcp`,
    asPort: need('E2E_AS_PORT'),
    rsPort: need('E2E_RS_PORT'),
    spaPort: need('E2E_SPA_PORT'),
    user: need('E2E_USER'),
    password: need('E2E_PASSWORD'),
    userName: need('E2E_USER_NAME'),
    userEmail: need('E2E_USER_EMAIL'),
    db: need('E2E_DB'),
    workDir: need('E2E_WORK_DIR'),
    serverBin: need('E2E_SERVER_BIN'),
    serverLog: need('E2E_SERVER_LOG'),
    distDir: need('E2E_DIST_DIR'),
    chromium: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    introspectionSecret: need('E2E_INTROSPECTION_SECRET'),
    accessTokenTtl: positiveInt('E2E_ACCESS_TOKEN_TTL'),
  };
}
