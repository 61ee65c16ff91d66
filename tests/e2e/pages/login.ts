/**
 * Page object for the authorization server's server-rendered login page (GET /authorize →
 * form with username, password and a "Sign in" button; a refusal shows `[role=alert]`).
 */
import { expect, type Locator, type Page } from '@playwright/test';

export class AsLoginPage {
  readonly form: Locator;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly alert: Locator;

  constructor(
    readonly page: Page,
    private readonly asUrl: string,
  ) {
    this.form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
    this.username = this.form.locator('input[name="username"]');
    this.password = this.form.locator('input[name="password"]');
    this.submit = this.form.getByRole('button', { name: 'Sign in' });
    this.alert = page.getByRole('alert');
  }

  /** Waits for the full-page redirect to the authorization server and its login form. */
  async expectLoaded(): Promise<void> {
    await this.page.waitForURL((url) => url.href.startsWith(`${this.asUrl}/authorize`));
    await expect(this.username).toBeVisible();
    await expect(this.password).toBeVisible();
    await expect(this.submit).toBeVisible();
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }
}
