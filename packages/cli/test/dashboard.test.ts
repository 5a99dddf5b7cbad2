/**
 * The web dashboard in a real headless Chromium, against a daemon started
 * here with `--listen 127.0.0.1:0` and tokens from `djc token create`: log in
 * through the form; the jobs list and the job page show the numbers of
 * `djc status --json`; the task table's pages and status filter are
 * `djc tasks --json`'s; a task's logs; failures grouped, timeline, histogram;
 * cancel works with a submit token and shows the 403 message with a read
 * one; the queue page shows a QUEUED job's reason as `djc queue --json`
 * does; a pipeline shows its stage graph. A screenshot of each page is
 * written under .test-results/ (a CI artefact).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startCoordinator } from './api-helpers.js';
import { launchBrowser, screenshot } from './browser.js';
import { baseOf, drawn, logIn, makeToken, n, openDashboard, rowCells } from './dashboard-helpers.js';
import { djc, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-dash-');
const opts = () => ({ cwd: box.dir, home: box.home });
let browser: Browser;

beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

async function cli(args: string[]): Promise<any> {
  const r = await djc(args, opts());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** A job of `tasks` one-record tasks; records whose n is in `fail` fail with "boom"; each sleeps `sleep` s. */
function jobFile(name: string, tasks: number, o: { fail?: number[]; sleep?: number; workers?: number } = {}): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: tasks }, (_, i) => `{"n":${i}}\n`).join(''));
  const fails = (o.fail ?? []).map((i) => `*'"n":${i}}'*`).join('|');
  writeFileSync(join(box.dir, `${name}.sh`), `read l\necho "working on $l" >&2\nsleep ${o.sleep ?? 0}\n${fails ? `case "$l" in ${fails}) echo "boom: bad record" >&2; exit 3;; esac\n` : ''}echo "$l"\n`);
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ninput: { path: ${name}.jsonl, batch: { records: 1 } }\nhandler: { command: "sh ${name}.sh" }\n`
    + `compute: { workers: ${o.workers ?? 2} }\nretry: { max_attempts: 1 }\nfail_fast: false\n`);
  return file;
}

async function submit(file: string): Promise<string> {
  return (await cli(['submit', file, '--json'])).jobId as string;
}

describe('the web dashboard', () => {
  it('logs in, shows the jobs and a job as djc status and djc tasks do, pages and filters tasks, and cancels with a submit token only', async () => {
    const reader = await makeToken('read', 'viewer', opts());
    const submitter = await makeToken('submit', 'operator', opts());
    const co = await startCoordinator(opts(), ['--listen', '127.0.0.1:0', '--cpus', '2']);
    const tab = await openDashboard(browser, baseOf(co.stderr()));
    const { page } = tab;
    const shownCounts = () => page.$$eval('[data-test=counters] [data-count]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.count, Number((e as HTMLElement).dataset.value)])));
    try {
      const done = await submit(jobFile('mixed', 60, { fail: [3, 7] }));
      await djc(['wait', done], opts());

      await drawn(page, 'login');
      await page.fill('#token', 'djc_000000000000_wrong');
      await page.click('form.login button[type=submit]');
      await expect.poll(() => page.textContent('form.login [role=alert]')).toContain('the API token is not valid');
      await page.fill('#token', reader);
      await page.click('form.login button[type=submit]');
      await drawn(page, 'jobs');
      expect(await page.textContent('#who')).toBe('viewer (read)');
      const status = await cli(['status', done, '--json']);
      expect(status).toMatchObject({ status: 'FAILED', tasks: { total: 60, succeeded: 58, failed: 2 } });
      // The list's records come with the event stream's first `job` event.
      await page.waitForFunction((id) => document.querySelector(`tr[data-job="${id}"] td[data-col="records"]`)?.textContent !== '…', done);
      const row = await rowCells(page, `tr[data-job="${done}"]`);
      expect({ status: row.status, total: n(row.total), succeeded: n(row.succeeded), failed: n(row.failed), running: n(row.running), pending: n(row.pending), records: n(row.records) }).toEqual({
        status: status.status, total: status.tasks.total, succeeded: status.tasks.succeeded, failed: status.tasks.failed,
        running: status.tasks.running + status.tasks.claimed, pending: status.tasks.pending + status.tasks.retrying, records: status.records.processed,
      });
      await screenshot(page, 'dashboard-jobs');
      // A job submitted now shows up in the open list, live (the event stream; no reload).
      const slow = await submit(jobFile('slow', 4, { sleep: 60, workers: 1 }));
      await page.waitForSelector(`tr[data-job="${slow}"] td[data-col="name"]:text-is("slow")`);

      await page.click(`tr[data-job="${done}"] a`);
      await drawn(page, 'job');
      expect(await shownCounts()).toEqual({ ...status.tasks, records: status.records.processed, bad: status.records.bad });
      expect(await page.textContent('[data-count="succeeded"]')).toBe('58');

      // The first page of the task table is djc tasks --limit 50; next shows the rest.
      await page.waitForSelector('[data-loaded=":0"]');
      const cliPage = (await cli(['tasks', done, '--json', '--limit', '50'])).tasks as any[];
      const tableRows = async () => page.$$eval('table[data-test=tasks] tbody tr', (trs) => trs.map((tr) => {
        const cell = (c: string) => tr.querySelector(`td[data-col="${c}"]`)?.textContent ?? '';
        return { taskId: Number(cell('task')), status: cell('status'), attempts: Number(cell('attempts')), worker: cell('worker'), error: cell('error') };
      }));
      expect(await tableRows()).toEqual(cliPage.map((t) => ({ taskId: t.taskId, status: t.status, attempts: t.attempts, worker: t.worker ?? '—', error: t.error ?? '' })));
      await page.click('[data-test=next]');
      await page.waitForSelector('[data-loaded=":1"]');
      const all = (await cli(['tasks', done, '--json'])).tasks as any[];
      expect((await tableRows()).map((t) => t.taskId)).toEqual(all.slice(50).map((t) => t.taskId));
      expect(await page.isDisabled('[data-test=next]')).toBe(true);
      await page.selectOption('[data-test=status-filter]', 'FAILED');
      await page.waitForSelector('[data-loaded="FAILED:0"]');
      const failed = (await cli(['tasks', done, '--json', '--status', 'failed'])).tasks as any[];
      expect(await tableRows()).toEqual(failed.map((t) => ({ taskId: t.taskId, status: 'FAILED', attempts: 1, worker: t.worker, error: t.error })));
      expect(failed.map((t) => t.taskId)).toEqual([3, 7]);
      await page.selectOption('[data-test=status-filter]', 'RUNNING');
      await page.waitForSelector('[data-loaded="RUNNING:0"]');
      expect(await page.textContent('table[data-test=tasks] tbody')).toBe('no tasks');
      await page.selectOption('[data-test=status-filter]', 'FAILED');
      await page.waitForSelector('[data-loaded="FAILED:0"]');

      // A task's logs, the failures grouped, the timeline and the histogram.
      await page.click('tr[data-task="3"] td[data-col="task"] button');
      await expect.poll(() => page.textContent('[data-test=logs] pre')).toContain('working on {"n":3}');
      await page.waitForSelector('[data-test=figures][data-drawn=true]');
      const group = await page.$$eval('[data-test=failures] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(group).toHaveLength(1);
      expect(group[0]?.[0]).toBe('2');
      expect(group[0]?.[2]).toBe('3, 7');
      expect(await page.$$eval('[data-test=timeline] rect', (r) => r.length)).toBe(60);
      expect(await page.$$eval('[data-test=histogram] rect', (r) => r.reduce((s, e) => s + Number(e.getAttribute('data-count')), 0))).toBe(60);
      await screenshot(page, 'dashboard-job');

      // Cancel: a read token gets the 403 message, a submit token cancels.
      await page.goto(`${baseOf(co.stderr())}/#/jobs/${slow}`);
      await drawn(page, 'job');
      await page.click('[data-test=cancel]');
      await expect.poll(() => page.textContent('[data-test=cancel-error]')).toContain('API token "viewer" has scope read; this request needs scope submit');
      await screenshot(page, 'dashboard-cancel-refused');
      expect((await cli(['status', slow, '--json'])).status).not.toBe('CANCELLED');
      await page.click('#logout');
      await logIn(page, submitter);
      await drawn(page, 'job');
      await page.click('[data-test=cancel]');
      await page.waitForSelector('h1 [data-status="CANCELLED"]');
      const cancelled = await cli(['status', slow, '--json']);
      expect(cancelled.status).toBe('CANCELLED');
      // The counters follow (the cancel's answer, then the event stream until the job's last event).
      await expect.poll(async () => {
        const now = await cli(['status', slow, '--json']);
        return [await shownCounts(), { ...now.tasks, records: now.records.processed, bad: now.records.bad }];
      }).toSatisfy(([shown, cli]: any[]) => JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(cli).sort()));
      expect(tab.outside).toEqual([]);
      expect(tab.errors).toEqual([]);
      // On the unix socket the same page, and no login.
      expect((await api(co.socket, 'GET', '/')).text).toContain('<title>djc dashboard</title>');
      expect((await api(co.socket, 'GET', '/session')).json).toMatchObject({ scope: 'admin', transport: 'unix' });
    } finally {
      await tab.close();
      await co.stop();
    }
  });

  it('shows a QUEUED job\'s reason on the queue page as djc queue does, and a pipeline\'s stage graph', async () => {
    const reader = await makeToken('read', 'viewer', opts());
    writeFileSync(join(box.dir, 'p.jsonl'), '{"a":1}\n{"a":2}\n');
    writeFileSync(join(box.dir, 'pl.yaml'), 'name: pl\nstages:\n  a: { input: { path: p.jsonl }, handler: { command: cat } }\n'
      + '  b: { needs: [a], input: { from: a }, handler: { command: cat } }\n  c: { needs: [a], input: { from: a }, handler: { command: cat } }\n');
    const co = await startCoordinator(opts(), ['--listen', '127.0.0.1:0', '--cpus', '1']);
    const tab = await openDashboard(browser, baseOf(co.stderr()));
    const { page } = tab;
    try {
      const pl = await submit(join(box.dir, 'pl.yaml'));
      await djc(['wait', pl], opts());
      const doc = await cli(['status', pl, '--json']);
      await logIn(page, reader);
      await drawn(page, 'jobs');
      await page.goto(`${baseOf(co.stderr())}/#/jobs/${pl}`);
      await drawn(page, 'job');
      const nodes = await page.$$eval('[data-stage]', (gs) => gs.map((g) => [g.getAttribute('data-stage'), g.getAttribute('data-status')]));
      expect(nodes).toEqual(doc.stages.map((s: any) => [s.name, s.status]));
      expect(await page.$$eval('[data-edge]', (ls) => ls.map((l) => l.getAttribute('data-edge')))).toEqual(['a->b', 'a->c']);
      await screenshot(page, 'dashboard-pipeline');

      const busy = await submit(jobFile('busy', 1, { sleep: 60, workers: 1 }));
      const waiting = await submit(jobFile('waiting', 1, { workers: 1 }));
      // Once the daemon has put it in QUEUED, the page shows its row as djc queue --json does.
      const entryOf = (q: any) => q.queue?.jobs.find((j: any) => j.jobId === waiting);
      await waitFor('the queue page to show what djc queue shows', async () => {
        await page.goto(`${baseOf(co.stderr())}/#/queue`);
        await page.reload();
        await drawn(page, 'queue');
        const shown = await rowCells(page, `table[data-test=queue] tr[data-job="${waiting}"]`).catch(() => null);
        const entry = entryOf(await cli(['queue', '--json']));
        return shown !== null && entry?.status === 'QUEUED' && shown.status === 'QUEUED' && shown.reason === entry.reason?.message;
      }, 30_000);
      expect((await rowCells(page, `table[data-test=queue] tr[data-job="${waiting}"]`)).reason).toMatch(/^needs 1 cpu, 0 free; /);
      await screenshot(page, 'dashboard-queue');
      for (const id of [waiting, busy]) await cli(['cancel', id, '--json']);
      expect(tab.outside).toEqual([]);
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
      await co.stop();
    }
  });
});
