/**
 * Page objects for the single-page app (Leptos, served from dist/): the home page that starts
 * the MCP authorization flow, the /callback page, and the /console page that calls MCP.
 * Selectors follow the SPA's data-testid contract; nothing here knows how the SPA works inside.
 */
import { expect, type Locator, type Page, type Response } from '@playwright/test';

/** Timeline step ids, in flow order (`li[data-testid=flow-step][data-step=<id>]`). */
export const FLOW_STEPS = [
  'unauthenticated-request',
  'prm',
  'as-metadata',
  'register',
  'authorize-redirect',
  'callback',
  'token',
] as const;
export type FlowStepId = (typeof FLOW_STEPS)[number];
/** Steps the console adds when a tool call needs more scope (step-up), then retries it. */
export const STEP_UP_STEPS = ['step-up', 'retry'] as const;
export type StepUpStepId = (typeof STEP_UP_STEPS)[number];
export type FlowStepStatus = 'ok' | 'error' | 'pending';

/** Public fields of the SPA's login record in sessionStorage (`mcp-auth.session`). */
export interface StoredSession {
  access_token: string;
  refresh_token?: string | null;
  /** Milliseconds since the epoch. */
  expires_at: number;
  expires_in?: number | null;
  client_id: string;
  issuer: string;
  /** Space-separated scopes the token carries. */
  scope?: string | null;
}

/** A client registration the SPA keeps in localStorage for reuse (`mcp-auth.registration:*`). */
export interface StoredRegistration {
  issuer: string;
  registration_endpoint: string;
  redirect_uri: string;
  client_id: string;
  grant_types: string[];
}

export const SESSION_KEY = 'mcp-auth.session';
/** The login in progress (state, PKCE verifier, …) in sessionStorage, from Connect to /callback. */
export const PENDING_FLOW_KEY = 'mcp-auth.pending-flow';
export const REGISTRATION_PREFIX = 'mcp-auth.registration:';

/**
 * The SPA's document headers forbid inline script (only its own files and WebAssembly run) and
 * framing by any site.
 */
export function expectSpaSecurityHeaders(headers: Record<string, string>): void {
  const csp = headers['content-security-policy'] ?? '';
  const directives = csp.split(';').map((d) => d.trim());
  const context = JSON.stringify(headers);
  expect(directives, context).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(directives, context).toContain("frame-ancestors 'none'");
  expect(directives, context).toContain("object-src 'none'");
  expect(directives, context).toContain("base-uri 'none'");
  expect(csp, context).not.toContain('unsafe-inline');
  expect(headers['x-frame-options'], context).toBe('DENY');
}

/** Shared by every SPA page: the timeline, errors and notices. */
class SpaPage {
  readonly error: Locator;
  readonly notice: Locator;

  constructor(readonly page: Page) {
    this.error = page.getByTestId('error');
    this.notice = page.getByTestId('notice');
  }

  step(id: FlowStepId): Locator {
    return this.page.locator(`li[data-testid="flow-step"][data-step="${id}"]`);
  }

  async expectPath(pathname: string): Promise<void> {
    await this.page.waitForURL((url) => url.pathname === pathname);
  }

  /** The login record this tab keeps in sessionStorage, if any (read only). */
  async storedSession(): Promise<StoredSession | null> {
    const raw = await this.page.evaluate((key) => window.sessionStorage.getItem(key), SESSION_KEY);
    return raw === null ? null : (JSON.parse(raw) as StoredSession);
  }

  /** The raw pending-flow record in sessionStorage, if any (read only; compared, never parsed). */
  async pendingFlow(): Promise<string | null> {
    return this.page.evaluate((key) => window.sessionStorage.getItem(key), PENDING_FLOW_KEY);
  }

  /** The client registrations kept in localStorage (read only). */
  async storedRegistrations(): Promise<StoredRegistration[]> {
    const raws = await this.page.evaluate((prefix) => {
      const found: string[] = [];
      for (let i = 0; i < window.localStorage.length; i++) {
        const key = window.localStorage.key(i);
        if (key?.startsWith(prefix)) found.push(window.localStorage.getItem(key) ?? 'null');
      }
      return found;
    }, REGISTRATION_PREFIX);
    return raws.map((raw) => JSON.parse(raw) as StoredRegistration);
  }
}

export class SpaHome extends SpaPage {
  readonly mcpUrl: Locator;
  readonly connectButton: Locator;
  /** Shown when a client registration is kept for reuse; holds the "forget" button. */
  readonly storedRegistration: Locator;
  readonly forgetRegistration: Locator;
  readonly registrationNotice: Locator;

  constructor(page: Page) {
    super(page);
    this.mcpUrl = page.getByTestId('mcp-url');
    this.connectButton = page.getByTestId('connect');
    this.storedRegistration = page.getByTestId('stored-registration');
    this.forgetRegistration = page.getByTestId('forget-registration');
    this.registrationNotice = page.getByTestId('registration-notice');
  }

  /**
   * Opens `/?mcp=<url>` and waits until the app has mounted and prefilled the field; returns the
   * document's response (for its headers).
   */
  async goto(mcpUrl: string): Promise<Response> {
    const response = await this.page.goto(`/?mcp=${encodeURIComponent(mcpUrl)}`);
    if (!response) throw new Error('no response for the SPA home page');
    await expect(this.mcpUrl).toHaveValue(mcpUrl);
    await expect(this.connectButton).toBeEnabled();
    return response;
  }

  async connect(): Promise<void> {
    await this.connectButton.click();
  }
}

export class SpaCallback extends SpaPage {
  /** Opens /callback with the given query, as a redirect from the authorization server would. */
  async goto(query: Record<string, string>): Promise<void> {
    await this.page.goto(`/callback?${new URLSearchParams(query).toString()}`);
  }
}

export class SpaConsole extends SpaPage {
  readonly whoami: Locator;
  readonly tools: Locator;
  readonly resources: Locator;
  readonly callGetUserData: Locator;
  readonly readProfile: Locator;
  readonly readStats: Locator;
  readonly userDataResult: Locator;
  readonly profileResult: Locator;
  readonly statsResult: Locator;
  readonly logoutButton: Locator;
  readonly loginRequired: Locator;
  readonly loginAgain: Locator;
  readonly tokenExpiry: Locator;
  readonly hasRefresh: Locator;
  readonly refreshNowButton: Locator;
  readonly refreshStatus: Locator;
  readonly sessionScope: Locator;
  readonly displayName: Locator;
  readonly updateProfileButton: Locator;
  readonly updateProfileResult: Locator;
  /** The profile form's timeline: step-up and retry steps appear here. */
  readonly stepUpTimeline: Locator;

  constructor(page: Page) {
    super(page);
    this.whoami = page.getByTestId('whoami');
    this.tools = page.getByTestId('tool');
    this.resources = page.getByTestId('resource');
    // The console is generic: this server's tools and resources are cards like any server's.
    this.callGetUserData = this.tool('get_user_data').getByTestId('call-tool');
    this.readProfile = this.resource('user://profile').getByTestId('read-resource');
    this.readStats = this.resource('user://stats').getByTestId('read-resource');
    // get_user_data returns structuredContent; the resources return JSON text.
    this.userDataResult = this.tool('get_user_data').getByTestId('structured');
    this.profileResult = this.resource('user://profile').getByTestId('content-text');
    this.statsResult = this.resource('user://stats').getByTestId('content-text');
    this.logoutButton = page.getByTestId('logout');
    this.loginRequired = page.getByTestId('login-required');
    this.loginAgain = page.getByTestId('login-again');
    this.tokenExpiry = page.getByTestId('token-expiry');
    this.hasRefresh = page.getByTestId('has-refresh');
    this.refreshNowButton = page.getByTestId('refresh-now');
    this.refreshStatus = page.getByTestId('refresh-status');
    this.sessionScope = page.getByTestId('session-scope');
    this.displayName = this.field('update_profile', 'display_name');
    this.updateProfileButton = this.tool('update_profile').getByTestId('call-tool');
    this.updateProfileResult = this.tool('update_profile').getByTestId('structured');
    this.stepUpTimeline = page.getByTestId('step-up-timeline');
  }

  /** The card of the tool `name` (form, Call button, latest result). */
  tool(name: string): Locator {
    return this.page.locator(`[data-testid="tool"][data-tool="${name}"]`);
  }

  /** The input for argument `field` in the form of tool `tool`. */
  field(tool: string, field: string): Locator {
    return this.tool(tool).locator(`[data-field="${field}"]`);
  }

  /** The card of the resource `uri`. */
  resource(uri: string): Locator {
    return this.page.locator(`[data-testid="resource"][data-resource="${uri}"]`);
  }

  /** The card of the prompt `name`. */
  prompt(name: string): Locator {
    return this.page.locator(`[data-testid="prompt"][data-prompt="${name}"]`);
  }

  /** A step of the step-up timeline (tool calls refused for lack of scope). */
  stepUpStep(id: StepUpStepId): Locator {
    return this.stepUpTimeline.locator(`li[data-testid="flow-step"][data-step="${id}"]`);
  }

  /** Types a display name and submits the "Update profile" form. */
  async submitDisplayName(name: string): Promise<void> {
    await this.displayName.fill(name);
    await expect(this.updateProfileButton).toBeEnabled();
    await this.updateProfileButton.click();
  }

  async goto(): Promise<void> {
    await this.page.goto('/console');
  }

  /** Waits for the console of a signed-in user. */
  async expectSignedIn(username: string): Promise<void> {
    await this.expectPath('/console');
    await expect(this.whoami).toContainText(username);
    await expect(this.loginRequired).toHaveCount(0);
  }

  /** Waits for the console without a session. */
  async expectLoginRequired(): Promise<void> {
    await this.expectPath('/console');
    await expect(this.loginRequired).toBeVisible();
    await expect(this.loginAgain).toBeVisible();
    await expect(this.whoami).toHaveCount(0);
  }

  /** Clicks `button` and returns the parsed JSON that then appears in `result`. */
  async runAndReadJson(button: Locator, result: Locator): Promise<unknown> {
    await expect(button).toBeEnabled();
    await button.click();
    await expect(result).not.toBeEmpty();
    await expect(this.error).toHaveCount(0);
    const text = (await result.textContent()) ?? '';
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`expected JSON in the result block, got: ${text.slice(0, 500)}`);
    }
  }

  async logout(): Promise<void> {
    await this.logoutButton.click();
  }

  /** The access token's expiry as the session card shows it (ms since the epoch). */
  async shownExpiry(): Promise<number> {
    const text = (await this.tokenExpiry.textContent()) ?? '';
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new Error(`token-expiry is not a date: "${text}"`);
    return ms;
  }

  /** Clicks "Refresh token now". */
  async refreshNow(): Promise<void> {
    await expect(this.refreshNowButton).toBeEnabled();
    await this.refreshNowButton.click();
  }
}

/**
 * True when `value` holds `want` anywhere: as a string (containing it), as a property value, or
 * inside a string that is itself JSON (MCP tool results carry JSON as text content).
 */
export function jsonContains(value: unknown, want: { key?: string; value: string }): boolean {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && trimmed.length > 1) {
      try {
        if (jsonContains(JSON.parse(trimmed) as unknown, want)) return true;
      } catch {
        // not JSON: plain text
      }
    }
    return want.key === undefined && value.includes(want.value);
  }
  if (Array.isArray(value)) return value.some((v) => jsonContains(v, want));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).some(
      ([k, v]) =>
        (want.key !== undefined && k === want.key && v === want.value) || jsonContains(v, want),
    );
  }
  return false;
}

/** The first string or number found under `key` anywhere in `value` (JSON text included). */
export function jsonFind(value: unknown, key: string): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return undefined;
    try {
      return jsonFind(JSON.parse(trimmed) as unknown, key);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = jsonFind(v, key);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === key && (typeof v === 'string' || typeof v === 'number')) return String(v);
    }
    for (const v of Object.values(value as Record<string, unknown>)) {
      const found = jsonFind(v, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
