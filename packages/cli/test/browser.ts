/**
 * A real browser for end-to-end tests: Debian's chromium (installed by
 * scripts/browser/ensure-chromium.sh, which the test command runs; or
 * DJC_CHROMIUM), driven headless by playwright-core. Pages open with every
 * network request refused and counted, so a test can assert a page needed
 * none. Screenshots go to .test-results/ (a CI artefact).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './helpers.js';

export const SCREENSHOTS = join(ROOT, '.test-results');

/** The Chromium binary; a clear failure (not a skip) when it is missing. */
export function chromiumPath(): string {
  const path = process.env.DJC_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    throw new Error('no Chromium for the browser tests: run `bash scripts/browser/ensure-chromium.sh` (as root; the test command does) or set DJC_CHROMIUM');
  }
  return path;
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: Chromium's sandbox cannot start as root (CI containers).
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}

export interface OfflinePage {
  page: Page;
  /** Requests the page tried to make beyond its own file (all refused). */
  requests: string[];
  close(): Promise<void>;
}

/** Opens a local file with the network off: the context is offline and every other request is aborted and recorded. */
export async function openOffline(browser: Browser, file: string): Promise<OfflinePage> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  // Every request but the file itself (file: URLs are not routed): refused and recorded.
  await context.route((u) => u.protocol !== 'file:', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 }).catch((e: unknown) => {
    throw new Error(`the page did not finish drawing: ${errors.join('; ') || String(e)}`);
  });
  return { page, requests, close: () => context.close() };
}

/** Writes a full-page screenshot to .test-results/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
