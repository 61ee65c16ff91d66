/**
 * Page object for the authorization server's consent page: a heading with "Authorize", the
 * client name, redirect host, scopes and resource, and Allow / Deny buttons.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export interface ConsentDetails {
  clientName: string;
  scope: string;
  redirectHost: string;
  resource: string;
}

export class AsConsentPage {
  readonly heading: Locator;
  readonly allowButton: Locator;
  readonly denyButton: Locator;
  readonly main: Locator;
  /** The scope names listed under "Permissions", in page order. */
  readonly scopeNames: Locator;

  constructor(
    readonly page: Page,
    private readonly asUrl: string,
  ) {
    this.heading = page.locator('h1', { hasText: 'Authorize' });
    this.allowButton = page.locator('button[name="decision"][value="allow"]');
    this.denyButton = page.locator('button[name="decision"][value="deny"]');
    this.main = page.locator('body');
    this.scopeNames = page.locator('ul.scopes li code');
  }

  async expectLoaded(): Promise<void> {
    await this.page.waitForURL((url) => url.href.startsWith(this.asUrl));
    await expect(this.heading).toBeVisible();
    await expect(this.allowButton).toHaveText(/Allow/);
    await expect(this.denyButton).toHaveText(/Deny/);
  }

  async expectDetails(details: ConsentDetails): Promise<void> {
    await expect(this.main).toContainText(details.clientName);
    await expect(this.main).toContainText(details.redirectHost);
    await expect(this.main).toContainText(details.resource);
    const word = new RegExp(`(^|[^\\w:/])${details.scope.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w:/])`);
    await expect(this.main).toContainText(word);
  }

  async allow(): Promise<void> {
    await this.allowButton.click();
  }

  async deny(): Promise<void> {
    await this.denyButton.click();
  }
}
