/**
 * The whole browser flow composed from the page objects, plus recorders that observe (never
 * alter) what the browser does: the flow-timeline statuses the SPA shows on any page, the URLs
 * the main frame navigated to, and the requests sent to the token endpoint.
 */
import { expect, type Page, type Request } from '@playwright/test';
import type { E2eEnv } from '../env';
import { AsConsentPage } from './consent';
import { AsLoginPage } from './login';
import { FLOW_STEPS, SpaConsole, SpaHome, type FlowStepId } from './spa';

export const CLIENT_NAME = 'MCP Auth Browser Client';
export const SCOPE = 'user';

declare global {
  interface Window {
    __e2eFlowStep?: (step: string, status: string) => Promise<void>;
  }
}

/**
 * Records every `data-status` each timeline step shows, on every document the page loads. The
 * flow leaves the SPA for the authorization server and comes back, so the final DOM alone
 * cannot tell whether the early steps succeeded; a MutationObserver in each document reports
 * them through an exposed binding.
 */
export class FlowStepRecorder {
  private readonly seen = new Map<string, string[]>();

  private constructor() {}

  static async attach(page: Page): Promise<FlowStepRecorder> {
    const recorder = new FlowStepRecorder();
    await page.exposeBinding('__e2eFlowStep', (_source, step: string, status: string) => {
      const statuses = recorder.seen.get(step) ?? [];
      if (statuses[statuses.length - 1] !== status) statuses.push(status);
      recorder.seen.set(step, statuses);
    });
    await page.addInitScript(() => {
      const report = (el: Element): void => {
        const step = el.getAttribute('data-step');
        const status = el.getAttribute('data-status');
        if (step && status && window.__e2eFlowStep) window.__e2eFlowStep(step, status).catch(() => {});
      };
      const selector = 'li[data-testid="flow-step"]';
      const scan = (node: Node): void => {
        if (!(node instanceof Element)) return;
        if (node.matches(selector)) report(node);
        node.querySelectorAll(selector).forEach(report);
      };
      new MutationObserver((mutations) => {
        for (const m of mutations) {
          if (m.type === 'attributes') scan(m.target);
          else m.addedNodes.forEach(scan);
        }
      }).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-status', 'data-step', 'data-testid'],
      });
    });
    return recorder;
  }

  /** The statuses step `id` went through, in order (repeats collapsed). */
  history(id: FlowStepId): string[] {
    return [...(this.seen.get(id) ?? [])];
  }

  /** Each step's history: what a failing assertion prints. */
  all(): Record<string, string[]> {
    return Object.fromEntries(FLOW_STEPS.map((id) => [id, this.history(id)]));
  }

  /** Every timeline step was shown as `ok` at some point and never as `error`. */
  async expectAllOk(): Promise<void> {
    const verdicts = (): Record<string, string> =>
      Object.fromEntries(
        FLOW_STEPS.map((id) => {
          const h = this.history(id);
          const verdict = h.includes('error') ? 'error' : h.includes('ok') ? 'ok' : 'never ok';
          return [id, verdict];
        }),
      );
    const expected = Object.fromEntries(FLOW_STEPS.map((id) => [id, 'ok']));
    await expect
      .poll(verdicts, { message: `timeline statuses seen: ${JSON.stringify(this.all())}` })
      .toEqual(expected);
  }
}

/** A document the authorization server sent to the main frame: its URL and HTTP status. */
export interface AsDocument {
  url: string;
  status: number;
}

/**
 * Main-frame navigations, documents from the authorization server, and requests to its token and
 * registration endpoints, for "this never happened" checks.
 */
export class BrowserLog {
  readonly navigations: string[] = [];
  readonly tokenRequests: string[] = [];
  readonly registrations: string[] = [];
  /** Every main-frame document response from the authorization server, redirects included. */
  readonly asDocuments: AsDocument[] = [];
  /** What Chromium reported blocking under a Content-Security-Policy (console messages). */
  readonly cspViolations: string[] = [];

  constructor(page: Page, env: E2eEnv) {
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) this.cspViolations.push(message.text());
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.navigations.push(frame.url());
    });
    page.on('request', (request) => {
      if (request.url().startsWith(`${env.asUrl}/token`)) {
        this.tokenRequests.push(`${request.method()} ${request.url()}`);
      }
      if (request.url() === `${env.asUrl}/register` && request.method() === 'POST') {
        this.registrations.push(request.url());
      }
    });
    const inMainFrame = (request: Request): boolean => {
      try {
        return request.frame() === page.mainFrame();
      } catch {
        return false; // a service worker's request has no frame
      }
    };
    page.on('response', (response) => {
      const request = response.request();
      if (response.url().startsWith(env.asUrl) && request.resourceType() === 'document' && inMainFrame(request)) {
        this.asDocuments.push({ url: response.url(), status: response.status() });
      }
    });
  }

  /** Navigated URLs that carried an authorization code (`code=` in the query). */
  urlsWithCode(): string[] {
    return this.navigations.filter((u) => /[?&]code=/.test(u) || new URL(u).searchParams.has('code'));
  }

  reached(prefix: string): boolean {
    return this.navigations.some((u) => u.startsWith(prefix));
  }
}

/** Drives the browser through the authorization flow. */
export class AuthFlow {
  constructor(
    private readonly env: E2eEnv,
    private readonly home: SpaHome,
    private readonly login: AsLoginPage,
    private readonly consent: AsConsentPage,
    private readonly mcpConsole: SpaConsole,
  ) {}

  /** From the SPA home to the authorization server's login page. */
  async start(): Promise<void> {
    await this.home.goto(this.env.mcpUrl);
    await this.home.connect();
    await this.login.expectLoaded();
  }

  /** From the login page to the consent page, as the test user. */
  async signIn(): Promise<void> {
    await this.login.signIn(this.env.user, this.env.password);
    await this.consent.expectLoaded();
  }

  /** The whole happy path: ends on /console signed in. */
  async signInAndAllow(): Promise<void> {
    await this.start();
    await this.signIn();
    await this.consent.allow();
    await this.mcpConsole.expectSignedIn(this.env.user);
  }
}
