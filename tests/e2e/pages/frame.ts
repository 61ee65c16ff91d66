/**
 * Embedding a URL in an `<iframe>` of the page that is open, to see whether it renders there. The
 * iframe is added with `page.evaluate`, as a framing site would add it; nothing is intercepted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page, Response } from '@playwright/test';

export interface Embedded {
  /** The iframe's frame (Chromium shows its own error page in it when framing is refused). */
  frame: Frame;
  /** The response the iframe's document request got (its headers decide whether it may show). */
  response: Response;
}

/**
 * Another site, to play the one that frames: a Node `http` server on 127.0.0.1:0 whose one page
 * is blank and sends no policy. (The SPA cannot play it: its CSP forbids being framed and frames
 * of other origins; `about:blank` cannot either: Chromium blocks a public page from framing
 * loopback servers.)
 */
export class FramingSite {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FramingSite> {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>framing site</title><body></body>');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new FramingSite(server, `http://127.0.0.1:${port}/`);
  }

  /** Opens the framing site's page in `page`. */
  async open(page: Page): Promise<void> {
    await page.goto(this.url);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Adds `<iframe id=<id> src=<url>>` to the current document and waits both for the server's
 * answer to the iframe's request and for the iframe's `load` event (fired for refused frames too).
 */
export async function embed(page: Page, url: string, id: string): Promise<Embedded> {
  const href = new URL(url).href;
  const answered = page.waitForResponse(
    (r) => r.url() === href && r.request().resourceType() === 'document' && r.frame() !== page.mainFrame(),
  );
  const loaded = page.evaluate(
    ({ src, frameId }) =>
      new Promise<void>((resolve) => {
        const iframe = document.createElement('iframe');
        iframe.id = frameId;
        iframe.width = '800';
        iframe.height = '600';
        iframe.addEventListener('load', () => resolve(), { once: true });
        iframe.src = src;
        document.body.appendChild(iframe);
      }),
    { src: url, frameId: id },
  );
  const [response] = await Promise.all([answered, loaded]);
  const handle = await page.locator(`iframe#${id}`).elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error(`iframe#${id} has no frame`);
  return { frame, response };
}
