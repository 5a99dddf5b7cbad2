/** Reading the figures of a `djc report` page (their raw numbers are in data-value attributes). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** One record per task: what the task does. */
export const LINES = ['burn', 'sleep', 'fail-1', 'alloc', 'sleep', 'fail-2'];

/** A job of one task per line of LINES: burn CPU, sleep, fail (exit 3), allocate 150 MiB in a child. */
export function writeUsageJob(dir: string): void {
  writeFileSync(join(dir, 'in.txt'), LINES.join('\n') + '\n');
  writeFileSync(join(dir, 'task.sh'), `read x
case "$x" in
  burn) end=$(($(date +%s) + 2)); while [ "$(date +%s)" -lt "$end" ]; do :; done ;;
  alloc) ${JSON.stringify(process.execPath)} -e 'const b = Buffer.alloc(150 * 1024 * 1024, 1); setTimeout(() => console.error(b.length), 1000)' ;;
  fail-*) echo "cannot parse record \${x#fail-} at line 7" >&2; exit 3 ;;
  *) sleep 1 ;;
esac
echo "$x"
`);
  writeFileSync(join(dir, 'job.yaml'), `name: usage
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: sh task.sh }
compute: { workers: 2 }
retry: { max_attempts: 2, backoff: { initial: 10ms } }
tolerated_failure: 50%
`);
}

