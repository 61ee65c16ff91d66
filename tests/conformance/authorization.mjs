// Runs the conformance suite's authorization leg (`conformance authorization`, every scenario)
// and plays the user's part in headless Chromium: when the suite prints the authorize URL, it
// opens it, signs in on our login page, allows on the consent page and lets the browser follow
// the redirect to the suite's callback listener. Exits with the suite's exit code.
//
// Environment (set by run.sh): CONF_AS_URL, CONF_RESOURCE, CONF_CLIENT_ID, CONF_CALLBACK_PORT,
// CONF_USER, CONF_PASSWORD, CONF_CHROMIUM (default /usr/bin/chromium), CONF_SUITE_BIN.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const need = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`[conformance] ${name} is not set (run tests/conformance/run.sh)`);
    process.exit(2);
  }
  return value;
};
const asUrl = need('CONF_AS_URL');
const resource = need('CONF_RESOURCE');
const clientId = need('CONF_CLIENT_ID');
const port = need('CONF_CALLBACK_PORT');
const user = need('CONF_USER');
const password = need('CONF_PASSWORD');
const suiteBin = need('CONF_SUITE_BIN');
const chromiumPath = process.env.CONF_CHROMIUM || '/usr/bin/chromium';
const callbackPrefix = `http://127.0.0.1:${port}/callback`;
// The whole leg normally takes a few seconds; the suite itself waits up to 5 minutes.
const LEG_TIMEOUT_MS = 120_000;

// Same flags as tests/e2e/playwright.config.ts: Debian's Chromium on a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Signs in and allows; resolves once the browser has reached the suite's callback. */
async function authorizeInBrowser(url) {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(url);
    const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
    await form.locator('input[name="username"]').fill(user);
    await form.locator('input[name="password"]').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    // A fresh database has no remembered consent, so the consent page comes next.
    const allow = page.locator('button[name="decision"][value="allow"]');
    await allow.waitFor({ state: 'visible' });
    await allow.click();
    await page.waitForURL((u) => u.href.startsWith(callbackPrefix));
    console.log('[conformance] browser: signed in, allowed, redirected to the suite callback');
  } finally {
    await browser.close();
  }
}

const args = ['authorization', '--url', asUrl, '--client-id', clientId, '--port', port, '--resource', resource];
console.log(`[conformance] conformance ${args.join(' ')}`);
const suite = spawn(process.execPath, [suiteBin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
const timer = setTimeout(() => {
  console.error(`[conformance] authorization leg did not finish within ${LEG_TIMEOUT_MS / 1000} s`);
  suite.kill('SIGTERM');
}, LEG_TIMEOUT_MS);

let browserRun = null;
let browserFailed = false;
createInterface({ input: suite.stdout }).on('line', (line) => {
  console.log(line);
  if (browserRun === null && line.startsWith(`${asUrl}/authorize?`)) {
    browserRun = authorizeInBrowser(line.trim()).catch((e) => {
      browserFailed = true;
      console.error(`[conformance] browser step failed: ${e instanceof Error ? e.message : e}`);
      suite.kill('SIGTERM');
    });
  }
});

const code = await new Promise((resolve) => suite.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
clearTimeout(timer);
if (browserRun) await browserRun;
if (browserRun === null) {
  console.error('[conformance] the suite never printed an authorize URL for the browser');
  process.exit(1);
}
process.exit(browserFailed ? 1 : code);
