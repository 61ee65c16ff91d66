import { defineConfig } from '@playwright/test';
import { e2eEnv } from './env';

// run.sh starts the server and passes its URLs, the user and this run's output folder (env.ts).
const env = e2eEnv();

export default defineConfig({
  testDir: './specs',
  outputDir: env.outputDir,
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
});
