/**
 * The CLI as a client of the API: with only DJC_URL and DJC_TOKEN (its
 * DJC_HOME a directory that does not exist, and stays so), `djc` runs a
 * whole job on a daemon started here (`--listen 127.0.0.1:0`): submit,
 * wait, status, tasks, logs, results, retry, cancel, list. Each answer is
 * compared with the local CLI's for the same job. A read token cannot
 * submit; an address nobody listens on exits 3.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { submitPipeline } from '@djc/coordinator';
import { startCoordinator } from './api-helpers.js';
import { createServer } from 'node:net';
import { djc, djcStart, sandboxPerTest, waitFor } from './helpers.js';
import { diamondSpec, writeHandlers, writeReviews } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-remote-');
const local = (args: string[]) => djc(args, { cwd: box.dir, home: box.home });

async function token(scope: string, name: string): Promise<string> {
  const r = await local(['token', 'create', '--scope', scope, '--name', name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** `n` one-record batches; task 3 fails until the file `fixed` exists. */
function jobFile(name: string, n: number, extra = ''): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    read -r line; echo "saw $line" >&2
    case "$line" in *'"n":3}'*) test -f ${join(box.dir, 'fixed')} || { echo "three is bad" >&2; exit 3; };; esac
    printf '%s\\n' "$line"
compute: { workers: 2 }
retry: { max_attempts: 1 }
${extra}`);
  return file;
}

describe('the CLI over the API (DJC_URL, DJC_TOKEN)', () => {
  it('runs a whole job with no backend access, printing what the local CLI prints', async () => {
    const submitter = await token('submit', 'ci');
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', '127.0.0.1:0']);
    const noHome = join(box.dir, 'no-home');
    try {
      const url = /and (http:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1] ?? '';
      expect(url, co.stderr()).not.toBe('');
      const remote = (args: string[]) => djc(args, { cwd: box.dir, home: noHome, env: { DJC_URL: url, DJC_TOKEN: submitter } });
      const same = async (args: string[], code: number) => {
        const [r, l] = [await remote(args), await local(args)];
        // --json: the same document (the API's serializer may order its keys otherwise).
        const out = (text: string) => (args.includes('--json') ? JSON.parse(text) as unknown : text);
        expect([args.join(' '), r.code, out(r.stdout)], r.stderr).toEqual([args.join(' '), code, out(l.stdout)]);
        return r;
      };

      const sub = await remote(['submit', jobFile('remote', 6)]);
      expect(sub.code, sub.stderr).toBe(0);
      const jobId = sub.stdout.trim();
      expect(jobId).toMatch(/^remote-/);
      expect(sub.stderr).toContain(`submitted to DJC_URL=${url}`);
      const lost = join(box.dir, 'lost.yaml');
      writeFileSync(lost, 'name: lost\ninput: { path: nowhere.jsonl }\nhandler: { command: cat }\n');
      const refused = await remote(['submit', lost]);
      expect([refused.code, refused.stdout], refused.stderr).toEqual([2, '']);
      expect(refused.stderr).toContain(`djc: ${lost}:2:`);
      expect(refused.stderr).toContain('nowhere.jsonl');
      expect(refused.stderr).not.toContain('api/submissions');
      expect(refused.stderr).toContain(`on its own host, relative to ${box.dir}`);

      const waited = await same(['wait', jobId], 1);
      expect(waited.stdout).toContain(`${jobId} FAILED`);
      const status = await same(['status', jobId], 0);
      expect(status.stdout).toMatch(/failures +1 × .*three is bad +\(task 3\)/);
      expect(JSON.parse((await same(['status', jobId, '--json'], 0)).stdout)).toMatchObject({ jobId, status: 'FAILED', owner: 'ci', tasks: { failed: 1 } });
      expect((await same(['tasks', jobId], 0)).stdout).toMatch(/^3 +FAILED +1 /m);
      await same(['tasks', jobId, '--json', '--status', 'failed'], 0);
      expect((await same(['logs', jobId, '--task', '3'], 0)).stdout).toContain('three is bad');
      await same(['logs', jobId, '--task', '3', '-f'], 0);
      await same(['logs', jobId, '-f'], 0);
      await same(['logs', jobId, '--json'], 0);
      await same(['logs', jobId], 0);
      await same(['failures', jobId], 0);
      // --why over GET /v1/jobs/{job}/why: a finished job has nothing unfinished to explain.
      expect(JSON.parse((await same(['tasks', jobId, '--why', '--json'], 0)).stdout)).toMatchObject({ jobId, status: 'FAILED', job: null, tasks: [], truncated: false });
      expect((await same(['status', jobId, '--why'], 0)).stdout).toContain('Why not running: no unfinished task (the job is FAILED)');

      writeFileSync(join(box.dir, 'fixed'), '');
      const retried = await remote(['retry', jobId]);
      expect([retried.code, retried.stdout.trim()], retried.stderr).toEqual([0, jobId]);
      expect((await same(['wait', jobId, '--json'], 0)).stdout).toContain('"SUCCEEDED"');
      const results = await same(['results', jobId], 0);
      expect(results.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown).sort((a, b) => (a as { n: number }).n - (b as { n: number }).n))
        .toEqual(Array.from({ length: 6 }, (_, n) => ({ n })));

      const slow = join(box.dir, 'slow.yaml');
      writeFileSync(slow, 'name: slow\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: "sleep 60" }\ncompute: { workers: 1 }\n');
      const second = (await remote(['submit', slow])).stdout.trim();
      const priority = await remote(['priority', second, 'high']);
      expect([priority.code, priority.stdout.trim()], priority.stderr).toEqual([0, `${second} priority normal -> high`]);
      const paused = await remote(['pause', second, '--json']);
      expect([paused.code, JSON.parse(paused.stdout)], paused.stderr).toMatchObject([0, { jobId: second, status: 'PAUSED' }]);
      const resumed = await remote(['resume', second]);
      expect([resumed.code, resumed.stdout.trim()], resumed.stderr).toEqual([0, `${second} QUEUED`]);
      const timedOut = await remote(['wait', second, '--timeout', '1s']);
      expect([timedOut.code, timedOut.stderr]).toEqual([124, expect.stringContaining(`timed out after 1s: job ${second} is still`)]);
      const queue = await remote(['queue', '--json']);
      expect([queue.code, Object.keys(JSON.parse(queue.stdout))], queue.stderr).toEqual([0, ['queue', 'ageMs', 'stale']]);
      const cancelled = await remote(['cancel', second]);
      expect([cancelled.code, cancelled.stdout.trim()], cancelled.stderr).toEqual([0, `${second} CANCELLED`]);
      expect((await same(['wait', second], 1)).stdout).toContain(`${second} CANCELLED`);
      await same(['status', second, '--watch'], 1);
      await same(['list', '--json'], 0);
      await same(['list'], 0);

      expect(existsSync(noHome)).toBe(false);
    } finally {
      await co.stop();
    }
  });

  it('says which token and scope a refused request needs (exit 2), and names DJC_URL when nothing answers (exit 3)', async () => {
    const reader = await token('read', 'dash');
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', '127.0.0.1:0']);
    const noHome = join(box.dir, 'no-home');
    try {
      const url = /and (http:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1] ?? '';
      const as = (env: Record<string, string>) => (args: string[]) => djc(args, { cwd: box.dir, home: noHome, env });
      const denied = await as({ DJC_URL: url, DJC_TOKEN: reader })(['submit', jobFile('denied', 2)]);
      expect(denied.code).toBe(2);
      expect(denied.stderr).toContain('scope submit');
      expect(denied.stderr).toContain('DJC_TOKEN');
      expect(denied.stdout).toBe('');
      const list = await as({ DJC_URL: url, DJC_TOKEN: reader })(['list', '--json']);
      expect([list.code, JSON.parse(list.stdout)], list.stderr).toEqual([0, { jobs: [] }]);
      const none = await as({ DJC_URL: url })(['list']);
      expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('DJC_TOKEN is not set')]);
      const bad = await as({ DJC_URL: url, DJC_TOKEN: 'djc_nope' })(['status']);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('DJC_TOKEN')]);
      const json = await as({ DJC_URL: url, DJC_TOKEN: reader })(['cancel', 'anything', '--json']);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });

      const missing = await as({ DJC_URL: url, DJC_TOKEN: reader })(['status', 'no-such-job']);
      expect(missing.code, missing.stderr).toBe(4);
      const socket = await as({ DJC_URL: `unix:${co.socket}` })(['list', '--json']);
      expect([socket.code, JSON.parse(socket.stdout)], socket.stderr).toEqual([0, { jobs: [] }]);
    } finally {
      await co.stop();
    }
    const gone = await djc(['status'], { cwd: box.dir, home: noHome, env: { DJC_URL: 'http://127.0.0.1:9', DJC_TOKEN: reader } });
    expect(gone.code, gone.stderr).toBe(3);
    expect(gone.stderr).toContain('DJC_URL=http://127.0.0.1:9');
    const junk = await djc(['status'], { cwd: box.dir, home: noHome, env: { DJC_URL: 'ftp://x' } });
    expect([junk.code, junk.stderr]).toEqual([2, expect.stringContaining('DJC_URL')]);
    expect(existsSync(noHome)).toBe(false);
  });

  it('shows a pipeline (its stages, the points of its sweep) and cancels it as the local CLI does', async () => {
    const submitter = await token('submit', 'ci');
    writeReviews(box.dir, 20);
    writeHandlers(box.dir);
    const backend = createLocalBackend({ home: box.home });
    const id = await submitPipeline(backend, diamondSpec(box.dir, { ks: [1, 3] }), join(box.dir, 'reviews.yaml'), 'daemon').then((p) => p.jobId).finally(() => backend.close());
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', '127.0.0.1:0']);
    try {
      const url = /and (http:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1] ?? '';
      const remote = (args: string[]) => djc(args, { cwd: box.dir, home: join(box.dir, 'no-home'), env: { DJC_URL: url, DJC_TOKEN: submitter } });
      const cancelled = await remote(['cancel', id]);
      expect([cancelled.code, cancelled.stdout.split('\n')[0]], cancelled.stderr).toEqual([0, `${id} CANCELLED`]);
      // The stage runs it names are the pipeline's; a run that was running when cancelled ends CANCELLED a moment later
      // (its workers stop), so the outputs below are compared once every run has ended.
      const runs = async () => (JSON.parse((await local(['status', id, '--json'])).stdout) as { stages: { runs: { jobId: string; status: string }[] }[] })
        .stages.flatMap((st) => st.runs);
      expect(cancelled.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(' ')[0]).sort()).toEqual((await runs()).map((x) => x.jobId).sort());
      const ended = await waitFor('every stage run ended', async () => {
        const now = await runs();
        return now.every((x) => ['CANCELLED', 'SUCCEEDED', 'FAILED', 'SKIPPED'].includes(x.status)) ? now : null;
      });
      expect(ended.some((x) => x.status === 'CANCELLED')).toBe(true);
      for (const args of [['status', id], ['status', id, '--json'], ['list'], ['status', 'reviews.stats']]) {
        const [r, l] = [await remote(args), await local(args)];
        const out = (text: string) => (args.includes('--json') ? JSON.parse(text) as unknown : text);
        expect([args.join(' '), r.code, out(r.stdout)], r.stderr).toEqual([args.join(' '), 0, out(l.stdout)]);
      }
      expect((await remote(['status', id])).stdout).toMatch(/points of train \(2\):/);
    } finally {
      await co.stop();
    }
  });

  it('djc wait goes on across a restart of the coordinator', async () => {
    const submitter = await token('submit', 'ci');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const env = { DJC_URL: url, DJC_TOKEN: submitter };
    const home = join(box.dir, 'no-home');
    let co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', `127.0.0.1:${port}`]);
    try {
      writeFileSync(join(box.dir, 'in.jsonl'), '{"n":0}\n{"n":1}\n');
      writeFileSync(join(box.dir, 'slowish.yaml'), 'name: slowish\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: "sleep 4; cat" }\ncompute: { workers: 1 }\n');
      const id = (await djc(['submit', 'slowish.yaml'], { cwd: box.dir, home, env })).stdout.trim();
      // -v logs each request: the wait is following the job's event stream once it logged that one.
      const waiting = djcStart(['wait', id, '-v'], { cwd: box.dir, home, env });
      await waitFor('the wait following the event stream', async () => waiting.stderr().includes('"path":"/v1/events"'));
      await co.stop();
      co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', `127.0.0.1:${port}`]);
      const end = await waiting.done;
      expect([end.code, end.stdout], end.stderr).toEqual([0, expect.stringContaining(`${id} SUCCEEDED`)]);
    } finally {
      await co.stop();
    }
  });

  it('speaks HTTPS, trusting a private CA given in NODE_EXTRA_CA_CERTS', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(box.dir, 'key.pem'), '-out', join(box.dir, 'cert.pem')], { stdio: 'ignore' });
    const reader = await token('read', 'dash');
    const co = await startCoordinator({ cwd: box.dir, home: box.home }, ['--listen', '127.0.0.1:0', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem']);
    try {
      const url = /and (https:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1] ?? '';
      expect(url, co.stderr()).not.toBe('');
      const home = join(box.dir, 'no-home');
      const trusted = await djc(['list', '--json'], { cwd: box.dir, home, env: { DJC_URL: url, DJC_TOKEN: reader, NODE_EXTRA_CA_CERTS: join(box.dir, 'cert.pem') } });
      expect([trusted.code, JSON.parse(trusted.stdout)], trusted.stderr).toEqual([0, { jobs: [] }]);
      const untrusted = await djc(['list'], { cwd: box.dir, home, env: { DJC_URL: url, DJC_TOKEN: reader } });
      expect([untrusted.code, untrusted.stderr]).toEqual([3, expect.stringMatching(/DJC_URL=https:.*(self.signed|certificate)/i)]);
      expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await co.stop();
    }
  });
});
