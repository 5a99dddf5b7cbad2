/**
 * The HTTP API end to end: `djc coordinator` as a child process, driven
 * over its unix socket; every answer checked against what the CLI prints
 * for the same thing (`--json`), since the shapes must be the same.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, jobDocSettledAs, readEvents, startCoordinator } from './api-helpers.js';
import { djc, djcStart, ROOT, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-api-');
const opts = () => ({ cwd: box.dir, home: box.home });
const cli = async (args: string[]) => {
  const r = await djc(args, opts());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** A job of `tasks` one-record tasks, each sleeping `sleep` seconds. */
function jobYaml(name: string, tasks: number, sleep = 0): string {
  writeFileSync(join(box.dir, `${name}.jsonl`), Array.from({ length: tasks }, (_, i) => `{"n":${i}}\n`).join(''));
  return `name: ${name}\ninput: { path: ${name}.jsonl, batch: { records: 1 } }\nhandler: { command: "echo working >&2; sleep ${sleep}; cat" }\n`;
}

const submitPath = () => `/v1/jobs?base_dir=${encodeURIComponent(box.dir)}`;

async function waitEnd(socket: string, jobId: string): Promise<void> {
  const { events } = await readEvents(socket, `/v1/events?job=${jobId}`, () => false);
  expect(events.at(-1)?.data.status).toMatch(/SUCCEEDED|FAILED|CANCELLED/);
}

describe('djc coordinator: the HTTP API on its unix socket', () => {
  it('submit, then the job, its tasks page by page, its result and the list are the CLI\'s --json documents', async () => {
    const co = await startCoordinator(opts());
    try {
      expect(statSync(co.socket).mode & 0o777).toBe(0o600);
      const sub = await api(co.socket, 'POST', submitPath(), { body: jobYaml('pages', 5) });
      expect(sub.status, sub.text).toBe(201);
      const { jobId } = sub.json;
      expect(sub.json).toEqual({ jobId, status: 'SUBMITTED' });
      await waitEnd(co.socket, jobId);

      // The job has ended, but its coordinator still records its workers' final view: compare once it settled.
      const job = await jobDocSettledAs(co.socket, jobId, () => cli(['status', jobId, '--json']));
      expect(job.json).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 5, succeeded: 5 } });

      const page1 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks?limit=3`);
      expect(page1.json.tasks.map((t: { taskId: number }) => t.taskId)).toEqual([0, 1, 2]);
      expect(page1.json.nextCursor).toEqual(expect.any(String));
      const page2 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks?limit=3&cursor=${page1.json.nextCursor}`);
      expect(page2.json.tasks.map((t: { taskId: number }) => t.taskId)).toEqual([3, 4]);
      expect(page2.json.nextCursor).toBeNull();
      expect([...page1.json.tasks, ...page2.json.tasks]).toEqual((await cli(['tasks', jobId, '--json'])).tasks);

      const results = await api(co.socket, 'GET', `/v1/jobs/${jobId}/results`);
      expect(results.json).toEqual(await cli(['results', jobId, '--json']));
      const content = await api(co.socket, 'GET', `/v1/jobs/${jobId}/results?content=true`);
      expect(content.text).toBe((await djc(['results', jobId], opts())).stdout);
      expect(content.text.trim().split('\n')).toHaveLength(5);

      const log = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks/3/logs`);
      expect(log.json).toEqual(await cli(['logs', jobId, '--task', '3', '--json']));
      expect(log.json.attempts).toEqual([{ attempt: 1, text: 'working\n' }]);
      const followed = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks/3/logs?follow=true`);
      expect(followed.headers['content-type']).toContain('text/plain');
      expect(followed.text).toBe((await djc(['logs', jobId, '--task', '3', '-f'], opts())).stdout);
      const logs1 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/logs?limit=4`);
      const logs2 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/logs?limit=4&cursor=${logs1.json.nextCursor}`);
      expect({ jobId, tasks: [...logs1.json.tasks, ...logs2.json.tasks] }).toEqual(await cli(['logs', jobId, '--json']));
      expect(logs2.json.nextCursor).toBeNull();

      const list = await api(co.socket, 'GET', '/v1/jobs');
      expect(list.json).toEqual({ ...(await cli(['list', '--json'])), nextCursor: null });
      expect(co.stderr()).not.toMatch(/warning|deprecat/i);
      const ready = await api(co.socket, 'GET', '/readyz');
      expect(ready.json).toMatchObject({ ready: true, backend: 'local', coordinator: { pid: expect.any(Number) } });
    } finally {
      await co.stop();
    }
  });

  it('lists jobs a page at a time with a cursor; a JSON body submits like YAML; dry_run writes nothing', async () => {
    const co = await startCoordinator(opts());
    try {
      const dry = await api(co.socket, 'POST', `${submitPath()}&dry_run=true`, { body: jobYaml('dry', 2) });
      expect(dry.status, dry.text).toBe(200);
      expect(dry.json).toMatchObject({ valid: true, kind: 'job', config: { name: 'dry' } });
      expect((await api(co.socket, 'GET', '/v1/jobs')).json.jobs).toEqual([]);
      const pipeline = 'name: pl\nstages:\n  a: { input: { path: dry.jsonl }, handler: { command: cat } }\n  b: { needs: [a], input: { from: a }, handler: { command: cat } }\n';
      writeFileSync(join(box.dir, 'pl.yaml'), pipeline);
      const plan = await api(co.socket, 'POST', `${submitPath()}&dry_run=true`, { body: pipeline });
      const { file: _cliFile, ...cliPlan } = await cli(['plan', 'pl.yaml', '--json']);
      expect(plan.json).toMatchObject({ valid: true, kind: 'pipeline', ...cliPlan });
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        jobYaml(name, 1);
        const r = await api(co.socket, 'POST', `${submitPath()}&priority=high`, { body: { name, input: { path: `${name}.jsonl` }, handler: { command: 'cat' } } });
        expect(r.status, r.text).toBe(201);
        ids.push(r.json.jobId);
      }
      const p1 = await api(co.socket, 'GET', '/v1/jobs?limit=2');
      expect(p1.json.jobs.map((j: { name: string }) => j.name)).toEqual(['c', 'b']);
      // Jobs submitted between two pages push the rest down: the next page still starts after the last one seen.
      for (const name of ['d', 'e']) {
        jobYaml(name, 1);
        expect((await api(co.socket, 'POST', submitPath(), { body: { name, input: { path: `${name}.jsonl` }, handler: { command: 'cat' } } })).status).toBe(201);
      }
      const p2 = await api(co.socket, 'GET', `/v1/jobs?limit=2&cursor=${p1.json.nextCursor}`);
      expect(p2.json).toMatchObject({ jobs: [{ name: 'a', jobId: ids[0] }], nextCursor: null });
      expect(await cli(['status', ids[0]!, '--json'])).toMatchObject({ priority: 'high', owner: userInfo().username });
    } finally {
      await co.stop();
    }
  });

  it('Idempotency-Key: a retried submit answers the first job and submits once; the key with another body is a 409', async () => {
    const co = await startCoordinator(opts());
    try {
      const body = jobYaml('once', 1);
      const headers = { 'idempotency-key': 'b6c1e0a4-retry-1' };
      const first = await api(co.socket, 'POST', submitPath(), { body, headers });
      const again = await api(co.socket, 'POST', submitPath(), { body, headers });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.json.jobId).toBe(first.json.jobId);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect((await cli(['list', '--json'])).jobs.map((j: { jobId: string }) => j.jobId)).toEqual([first.json.jobId]);
      const other = await api(co.socket, 'POST', submitPath(), { body: `${body}description: another\n`, headers });
      expect(other.status).toBe(409);
      expect(other.json.error).toMatchObject({ code: 'CONFLICT', hint: expect.stringContaining('new key') });
      // A request that failed is not kept: fixed, it may be sent again with its key.
      const retryKey = { 'idempotency-key': 'b6c1e0a4-retry-2' };
      expect((await api(co.socket, 'POST', submitPath(), { body: body.replace('records: 1', 'records: 0'), headers: retryKey })).status).toBe(400);
      const fixed = await api(co.socket, 'POST', submitPath(), { body: body.replace('name: once', 'name: twice'), headers: retryKey });
      expect(fixed.status, fixed.text).toBe(201);
      expect(fixed.json.jobId).not.toBe(first.json.jobId);
      const cancelKey = { 'idempotency-key': 'cancel-1' };
      const cancel1 = await api(co.socket, 'POST', `/v1/jobs/${fixed.json.jobId}/cancel`, { headers: cancelKey });
      const cancel2 = await api(co.socket, 'POST', `/v1/jobs/${fixed.json.jobId}/cancel`, { headers: cancelKey });
      expect(cancel2.json).toEqual(cancel1.json);
      expect(cancel2.headers['idempotent-replayed']).toBe('true');
    } finally {
      await co.stop();
    }
  });

  it('the event stream delivers the job\'s task changes and ends with the job', async () => {
    const co = await startCoordinator(opts());
    try {
      const sub = await api(co.socket, 'POST', submitPath(), { body: jobYaml('live', 2, 1.5) });
      const { status, type, events } = await readEvents(co.socket, `/v1/events?job=${sub.json.jobId}`, () => false);
      expect(status).toBe(200);
      expect(type).toContain('text/event-stream');
      const tasks = events.filter((e) => e.event === 'task');
      expect(tasks.some((e) => e.data.status === 'RUNNING' && e.data.jobId === sub.json.jobId)).toBe(true);
      expect(tasks.some((e) => e.data.status === 'SUCCEEDED')).toBe(true);
      const jobs = events.filter((e) => e.event === 'job');
      expect(jobs.at(-1)?.data).toMatchObject({ jobId: sub.json.jobId, status: 'SUCCEEDED', tasks: { succeeded: 2 } });
    } finally {
      await co.stop();
    }
  });

  it('stopping the coordinator ends the event streams still open', async () => {
    const co = await startCoordinator(opts());
    const sub = await api(co.socket, 'POST', submitPath(), { body: jobYaml('seen', 1) });
    const stream = readEvents(co.socket, '/v1/events', () => false);
    await waitFor('the job\'s end', async () => (await api(co.socket, 'GET', `/v1/jobs/${sub.json.jobId}`)).json.status === 'SUCCEEDED');
    await co.stop();
    const { events } = await stream;
    expect(events.filter((e) => e.event === 'job').at(-1)?.data).toMatchObject({ jobId: sub.json.jobId });
  });

  it('cancel, retry, priority, pause and resume answer as the CLI\'s commands do', async () => {
    const co = await startCoordinator(opts());
    try {
      const { json: { jobId } } = await api(co.socket, 'POST', submitPath(), { body: jobYaml('slow', 4, 30) });
      const prio = await api(co.socket, 'POST', `/v1/jobs/${jobId}/priority`, { body: { priority: 'high' } });
      expect(prio.json).toMatchObject({ jobId, previous: 'normal', priority: 'high', jobsChanged: 1 });
      const pause = await api(co.socket, 'POST', `/v1/jobs/${jobId}/pause`);
      expect(pause.json).toMatchObject({ jobId, status: 'PAUSED' });
      const resume = await api(co.socket, 'POST', `/v1/jobs/${jobId}/resume`);
      expect(resume.json).toMatchObject({ jobId, status: 'QUEUED' });
      const cancel = await api(co.socket, 'POST', `/v1/jobs/${jobId}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.json).toMatchObject({ jobId, status: 'CANCELLED' });
      expect(await cli(['status', jobId, '--json'])).toMatchObject({ status: 'CANCELLED' });
      const bad = await api(co.socket, 'POST', `/v1/jobs/${jobId}/retry`, { body: { task: 'x-y' } });
      expect(bad.status).toBe(400);
      const retry = await api(co.socket, 'POST', `/v1/jobs/${jobId}/retry`, { body: { set: ['compute.timeout=5m'] } });
      expect(retry.status, retry.text).toBe(200);
      expect(retry.json).toMatchObject({ jobId, status: 'RUNNING' });
      expect((await api(co.socket, 'POST', `/v1/jobs/${jobId}/cancel`)).json.status).toBe('CANCELLED');
      await waitEnd(co.socket, jobId);
    } finally {
      await co.stop();
    }
  });

  it('errors: the envelope with the status of the exit-code class; the YAML path of a bad job', async () => {
    const co = await startCoordinator(opts());
    try {
      const missing = await api(co.socket, 'GET', '/v1/jobs/no-such-job');
      expect(missing.status).toBe(404);
      expect(missing.json.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no-such-job'), hint: expect.any(String) });
      const bad = await api(co.socket, 'POST', submitPath(), { body: jobYaml('bad', 1).replace('records: 1', 'records: -3') });
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('CONFIG_INVALID');
      expect(bad.json.error.message).toContain('input.batch.records');
      expect(bad.json.error.details).toEqual([expect.objectContaining({ path: 'input.batch.records', line: 2 })]);
      const limit = await api(co.socket, 'GET', '/v1/jobs?limit=0');
      expect(limit.status).toBe(400);
      expect(limit.json.error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('limit') });
      const cursor = await api(co.socket, 'GET', '/v1/jobs?cursor=junk');
      expect(cursor.json.error).toMatchObject({ code: 'USAGE', hint: expect.stringContaining('nextCursor') });
      const empty = await api(co.socket, 'POST', submitPath(), { body: '' });
      expect(empty.status).toBe(400);
      const route = await api(co.socket, 'GET', '/v1/nothing');
      expect(route.status).toBe(404);
      expect(route.json.error.code).toBe('NOT_FOUND');
    } finally {
      await co.stop();
    }
  });

  it('serves its OpenAPI document, the one checked in as docs/openapi.json (over a socket file a dead coordinator left)', async () => {
    mkdirSync(box.home, { recursive: true });
    writeFileSync(join(box.home, 'api.sock'), '');
    const co = await startCoordinator(opts());
    try {
      const doc = await api(co.socket, 'GET', '/v1/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.json).toEqual(JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')));
      expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{job}', '/v1/jobs/{job}/tasks', '/v1/events', '/readyz']));
    } finally {
      await co.stop();
    }
  });
});

describe('djc coordinator --listen', () => {
  it('refuses plain HTTP off loopback, naming the fix (exit 2)', async () => {
    const r = await djc(['coordinator', '--listen', '0.0.0.0:7420'], opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0:7420 without TLS');
    expect(r.stderr).toContain('--tls-cert');
    expect(r.stderr).toContain('--insecure-http');
    const half = await djc(['coordinator', '--listen', '127.0.0.1:0', '--tls-cert', 'c.pem'], opts());
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--tls-cert needs --tls-key');
    const junk = await djc(['coordinator', '--listen', 'localhost'], opts());
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('not HOST:PORT');
  });
});

describe('a second djc coordinator on the same home', () => {
  it('stands by, naming the leader, and leaves the socket to it', async () => {
    const co = await startCoordinator(opts());
    const second = djcStart(['coordinator'], opts());
    try {
      await waitFor('the standby line', async () => second.stderr().includes('standby'), 30_000);
      expect(second.stderr()).toMatch(/djc: standby for backend local .*: pid \d+ on .+ leads it \(epoch 1\); taking over when its lock expires/);
      expect(second.stderr()).not.toContain('API at');
      expect((await api(co.socket, 'GET', '/readyz')).json).toMatchObject({ ready: true, role: 'leader', coordinator: { epoch: 1 } });
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.done).code).toBe(0);
      await co.stop();
    }
  });
});
