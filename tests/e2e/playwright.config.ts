import { defineConfig } from '@playwright/test';
import { e2eEnv } from './env';

// Ports, database and user come from run.sh (see env.ts); this file only wires them up.
const env = e2eEnv();

/** Single-quotes a value for the POSIX shell that runs `webServer.command`. */
const sh = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

const serverCommand = [
  'exec',
  sh(env.serverBin),
  '--db', sh(env.db),
  'serve',
  '--as-addr', `127.0.0.1:${env.asPort}`,
  '--rs-addr', `127.0.0.1:${env.rsPort}`,
  '--spa-addr', `127.0.0.1:${env.spaPort}`,
  '--spa-dir', sh(env.distDir),
  '--allowed-origins', sh(env.spaUrl),
  // Short-lived access tokens (run.sh: E2E_ACCESS_TOKEN_TTL), so refresh.spec.ts can outlive one.
  '--access-token-ttl', String(env.accessTokenTtl),
  '>>', sh(env.serverLog), '2>&1',
].join(' ');

export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    baseURL: env.spaUrl,
    headless: true,
    // Debian's chromium (Playwright's own browser download cannot work on these machines).
    launchOptions: {
      executablePath: env.chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
  // One process serves the authorization server, the MCP resource server and the built SPA
  // (dist/ with an index.html fallback for client routes such as /callback).
  webServer: {
    command: serverCommand,
    cwd: env.workDir,
    env: {
      // The log goes to a file (run.sh prints its tail when a test fails): no colour codes in it.
      NO_COLOR: '1',
      // In the environment, not on the command line where `ps` would show it.
      INTROSPECTION_SECRET: env.introspectionSecret,
    },
    url: `${env.asUrl}/.well-known/oauth-authorization-server`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
