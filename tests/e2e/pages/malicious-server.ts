/**
 * A real, hostile "MCP server" for the specs: a Node `http` server on 127.0.0.1:0 that plays
 * both the protected resource and its authorization server, and whose metadata names a URL of
 * the spec's choosing (a `javascript:` authorization endpoint, plain http to another host, …).
 * It answers like a well-behaved server otherwise (CORS for the SPA, a 401 with
 * `resource_metadata`, RFC 9728 and RFC 8414 documents, a 201 registration), so the only thing
 * that can stop the SPA is the URL it refuses. It records every request it gets, and
 * `/stolen` is where its script would send what it took.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a case overrides in the authorization server metadata, given the server's own URL. */
export type MetadataOverrides = (base: string) => Record<string, string>;

export class MaliciousServer {
  /** `METHOD /path?query` of every request, in order. */
  readonly requests: string[] = [];

  /** The body of its 201 registration response (RFC 7591 §3.2.1 requires only `client_id`). */
  registration: Record<string, unknown> = {
    client_id: 'malicious-client',
    client_id_issued_at: 1,
    redirect_uris: [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts the server; `overrides` replaces fields of its (otherwise valid) AS metadata. */
  static async start(overrides: MetadataOverrides): Promise<MaliciousServer> {
    let self: MaliciousServer | undefined;
    const server = createServer((req, res) => {
      self?.requests.push(`${req.method} ${req.url}`);
      if (self) self.answer(req, res, overrides(self.url));
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    self = new MaliciousServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  get mcpUrl(): string {
    return `${this.url}/mcp`;
  }

  /** Requests to `/stolen`: what the injected script would have sent. */
  stolen(): string[] {
    return this.requests.filter((r) => r.split(' ')[1]?.startsWith('/stolen'));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse, overrides: Record<string, string>): void {
    const base = this.url;
    // Any origin may read it, the 401's challenge included, like a public MCP server.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
      res.writeHead(204).end();
      return;
    }
    const path = new URL(req.url ?? '/', base).pathname;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === 'POST' && path === '/mcp') {
      const challenge = `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="user"`;
      json(401, { error: 'unauthorized' }, { 'WWW-Authenticate': challenge });
    } else if (path === '/.well-known/oauth-protected-resource/mcp') {
      json(200, { resource: `${base}/mcp`, authorization_servers: [base], scopes_supported: ['user'] });
    } else if (path === '/.well-known/oauth-authorization-server') {
      json(200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        registration_endpoint: `${base}/register`,
        revocation_endpoint: `${base}/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        ...overrides,
      });
    } else if (req.method === 'POST' && path === '/register') {
      json(201, this.registration);
    } else {
      json(404, { error: 'not_found' });
    }
  }
}
