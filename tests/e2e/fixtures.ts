/**
 * The `test` every spec uses: Playwright's, extended with the run's settings and page objects.
 */
import { test as base } from '@playwright/test';
import { e2eEnv, type E2eEnv } from './env';
import { AsConsentPage } from './pages/consent';
import { AuthFlow, BrowserLog, FlowStepRecorder } from './pages/flow';
import { AsLoginPage } from './pages/login';
import { SpaCallback, SpaConsole, SpaHome } from './pages/spa';

interface Fixtures {
  env: E2eEnv;
  home: SpaHome;
  callback: SpaCallback;
  mcpConsole: SpaConsole;
  login: AsLoginPage;
  consent: AsConsentPage;
  flow: AuthFlow;
  flowSteps: FlowStepRecorder;
  browserLog: BrowserLog;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern
  env: async ({}, use) => {
    await use(e2eEnv());
  },
  home: async ({ page }, use) => {
    await use(new SpaHome(page));
  },
  callback: async ({ page }, use) => {
    await use(new SpaCallback(page));
  },
  mcpConsole: async ({ page }, use) => {
    await use(new SpaConsole(page));
  },
  login: async ({ page, env }, use) => {
    await use(new AsLoginPage(page, env.asUrl));
  },
  consent: async ({ page, env }, use) => {
    await use(new AsConsentPage(page, env.asUrl));
  },
  flow: async ({ env, home, login, consent, mcpConsole }, use) => {
    await use(new AuthFlow(env, home, login, consent, mcpConsole));
  },
  // Attached before the test body runs, so it sees the very first document.
  flowSteps: [
    async ({ page }, use) => {
      await use(await FlowStepRecorder.attach(page));
    },
    { auto: true },
  ],
  browserLog: [
    async ({ page, env }, use) => {
      await use(new BrowserLog(page, env));
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';
