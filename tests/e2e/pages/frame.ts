/**
 * Embedding a URL in an `<iframe>` of the page that is open, to see whether it renders there. The
 * iframe is added with `page.evaluate`, as a framing site would add it; nothing is intercepted.
 */
import type { Frame, Page, Response } from '@playwright/test';

export interface Embedded {
  /** The iframe's frame (Chromium shows its own error page in it when framing is refused). */
  frame: Frame;
  /** The response the iframe's document request got (its headers decide whether it may show). */
  response: Response;
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
