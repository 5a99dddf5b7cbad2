/**
 * The dashboard in a real Chromium (browser.ts): a page of a daemon started
 * by the test, every request outside the daemon refused and recorded (the
 * dashboard loads nothing from elsewhere), logged in through its form.
 */
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { djc } from './helpers.js';

export interface DashboardPage {
  page: Page;
  /** Requests outside the daemon (all refused). */
  outside: string[];
  /** Errors thrown by the page's scripts. */
  errors: string[];
  close(): Promise<void>;
}

export async function openDashboard(browser: Browser, base: string): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const outside: string[] = [];
  await context.route((u) => u.origin !== base, (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  return { page, outside, errors, close: () => context.close() };
}

/** Waits for the page named `name` (body data-page) to be drawn. */
export async function drawn(page: Page, name: string): Promise<void> {
  await page.waitForSelector(`body[data-ready="true"][data-page="${name}"]`, { timeout: 20_000 });
}

/** Logs in through the form (the page shows it when it has no session). */
export async function logIn(page: Page, token: string): Promise<void> {
  await drawn(page, 'login');
  await page.fill('#token', token);
  await page.click('form.login button[type=submit]');
}

export async function makeToken(scope: string, name: string, opts: { cwd: string; home: string }): Promise<string> {
  const r = await djc(['token', 'create', '--scope', scope, '--name', name], opts);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The base URL (http://127.0.0.1:PORT) a coordinator printed. */
export function baseOf(stderr: string): string {
  const base = /and (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
  expect(base, stderr).toBeDefined();
  return base as string;
}

/** The text of each cell of a row, by its data-col. */
export async function rowCells(page: Page, rowSelector: string): Promise<Record<string, string>> {
  return page.$eval(rowSelector, (tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col ?? '', td.textContent ?? ''])));
}

/** "1,234" → 1234 */
export const n = (text: string | undefined): number => Number((text ?? '').replaceAll(',', ''));
