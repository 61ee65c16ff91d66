/**
 * Page object for the authorization server's `/account` page: the signed-in user's allowed
 * applications (`li[data-testid=grant]`, each with a "Revoke access" button), a notice after an
 * action (`[role=status]`) and a "Sign out" button.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export class AsAccountPage {
  readonly heading: Locator;
  readonly grants: Locator;
  readonly noGrants: Locator;
  readonly notice: Locator;
  readonly signOut: Locator;

  constructor(
    readonly page: Page,
    private readonly asUrl: string,
  ) {
    this.heading = page.locator('h1');
    this.grants = page.getByTestId('grant');
    this.noGrants = page.getByTestId('no-grants');
    this.notice = page.getByRole('status');
    this.signOut = page.getByRole('button', { name: 'Sign out' });
  }

  async goto(): Promise<void> {
    await this.page.goto(`${this.asUrl}/account`);
  }

  /** Waits for the page of a signed-in user. */
  async expectSignedIn(username: string): Promise<void> {
    await expect(this.heading).toContainText(`Signed in as ${username}`);
    await expect(this.signOut).toBeVisible();
  }

  /** The entry of the application called `clientName` (there may be several with one name). */
  grant(clientName: string): Locator {
    return this.grants.filter({ hasText: clientName });
  }

  revokeButton(grant: Locator): Locator {
    return grant.getByRole('button', { name: 'Revoke access' });
  }

  /** Revokes `grant` and waits for the page to say so. */
  async revoke(grant: Locator): Promise<void> {
    await this.revokeButton(grant).click();
    await this.page.waitForURL((url) => url.href.startsWith(`${this.asUrl}/account`) && url.search.includes('done=revoked'));
    await expect(this.notice).toContainText('Access revoked');
  }
}
