/** Reading the figures of a `djc report` page (their raw numbers are in data-value attributes). */
import type { Page } from 'playwright-core';

/** The number of a figure `data-field` inside `scope` (a CSS selector), or null when empty. */
export async function figure(page: Page, scope: string, field: string): Promise<number | null> {
  const v = await page.locator(`${scope} [data-field="${field}"]`).first().getAttribute('data-value');
  return v === null || v === '' ? null : Number(v);
}

/** The rows of a task table of a section: task id and its numeric cells. */
export async function tableRows(page: Page, scope: string, table: string): Promise<Record<string, number | null>[]> {
  return page.locator(`${scope} table[data-table="${table}"] tbody tr`).evaluateAll((rows) => rows.map((row) => {
    const out: Record<string, number | null> = {};
    for (const cell of row.querySelectorAll('[data-field]')) {
      const v = cell.getAttribute('data-value');
      out[cell.getAttribute('data-field') as string] = v === null || v === '' ? null : Number(v);
    }
    return out;
  }));
}

/** Failure groups of a section: count and example error. */
export async function failureGroups(page: Page, scope: string): Promise<{ count: number; example: string }[]> {
  return page.locator(`${scope} .failure`).evaluateAll((groups) => groups.map((g) => ({
    count: Number(g.querySelector('[data-field="group.count"]')?.getAttribute('data-value')),
    example: g.querySelector('code')?.textContent ?? '',
  })));
}
