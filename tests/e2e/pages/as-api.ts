/**
 * Direct calls to the authorization server's back-channel endpoints, for checking what the
 * browser flow did (never for driving it): token introspection (RFC 7662, as the built-in
 * resource-server client) and the refresh grant.
 */
import { expect, type APIRequestContext, type Page, type Response } from '@playwright/test';
import type { E2eEnv } from '../env';

/** The id the resource server presents to the introspection endpoint (server config.rs). */
const RS_INTROSPECTION_CLIENT = 'mcp-resource-server';

export class AsApi {
  constructor(
    private readonly request: APIRequestContext,
    private readonly env: E2eEnv,
  ) {}

  /** RFC 7662 introspection: `{ active: boolean, ... }`. */
  async introspect(token: string): Promise<{ active: boolean } & Record<string, unknown>> {
    const basic = Buffer.from(`${RS_INTROSPECTION_CLIENT}:${this.env.introspectionSecret}`).toString('base64');
    const resp = await this.request.post(`${this.env.asUrl}/introspect`, {
      headers: { Authorization: `Basic ${basic}` },
      form: { token },
    });
    expect(resp.status(), await resp.text()).toBe(200);
    return (await resp.json()) as { active: boolean } & Record<string, unknown>;
  }

  /** A refresh-token grant as a public client; returns the raw response. */
  async refresh(refreshToken: string, clientId: string) {
    return this.request.post(`${this.env.asUrl}/token`, {
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId },
    });
  }
}

/** What the SPA sent to and got from the token endpoint in its next code exchange (observed only). */
export interface ObservedExchange {
  /** The form the SPA posted (grant_type, code, client_id, code_verifier, resource, ...). */
  form: URLSearchParams;
  body: Record<string, unknown>;
}

export async function nextTokenExchange(page: Page, asUrl: string): Promise<ObservedExchange> {
  const response: Response = await page.waitForResponse(
    (r) => r.url() === `${asUrl}/token` && r.request().method() === 'POST',
  );
  const form = new URLSearchParams(response.request().postData() ?? '');
  // The SPA moves on to /console with client-side routing, so the body is still available.
  const body = (await response.json()) as Record<string, unknown>;
  return { form, body };
}
