/**
 * Failover (docs/operations.md "Failover"): a second `djc coordinator`
 * stands by and takes the backend over when the leader dies (at once when it
 * died on this host), stops (SIGTERM releases the lock), or stops renewing
 * its lock (a holder on another host: only once the lock expired). The
 * leaders here run with a 10-minute lock TTL, so a takeover the test sees
 * can only have come from the dead-pid check or the release.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { api } from './api-helpers.js';
import { djc, djcStart, readJsonl, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest();
const opts = (env?: Record<string, string>) => ({ cwd: box.dir, home: box.home, ...(env ? { env } : {}) });
const LONG_TTL = ['--lock-ttl', '10m', '--lock-renew', '1s'];

/** 600 numbered records, 60 tasks of 10, each taking `ms` in a module handler, with 2 workers. */
function slowJob(ms: number): string {
  writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: 600 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'slow.mjs'), `export async function echo(records) { await new Promise((r) => setTimeout(r, ${ms})); return records; }\n`);
  const file = join(box.dir, 'job.yaml');
  writeFileSync(file, `name: failover
input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2, lease: 5s }
output: { path: out.jsonl }
`);
  return file;
}

async function submit(file: string): Promise<string> {
  const r = await djc(['submit', file], opts());
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

async function succeeded(jobId: string): Promise<number> {
  const r = await djc(['status', jobId, '--json'], opts());
  return r.code === 0 ? (JSON.parse(r.stdout) as { tasks: { succeeded: number } }).tasks.succeeded : 0;
}

async function tasks(jobId: string): Promise<{ worker: string | null; startedAt: string | null; attempts: number }[]> {
  const r = await djc(['tasks', jobId, '--json'], opts());
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: { worker: string | null; startedAt: string | null; attempts: number }[] }).tasks;
}

function startDaemon(args: string[] = [], env?: Record<string, string>) {
  const d = djcStart(['coordinator', ...args], opts(env));
  // The whole "leading (…); …; Ctrl-C stops it" line, not a first chunk of it.
  return { ...d, leading: () => waitFor('a coordinator leading', async () => /, leading \(epoch [^\n]*Ctrl-C stops it\n/.test(d.stderr()), 60_000) };
}

/** The job ends SUCCEEDED with every record in the result exactly once, in input order. */
async function expectExact(jobId: string): Promise<void> {
  const w = await djc(['wait', jobId, '--json'], opts());
  expect(w.code, w.stderr).toBe(0);
  const doc = JSON.parse(w.stdout) as { status: string; tasks: { total: number; succeeded: number } };
  expect(doc.status).toBe('SUCCEEDED');
  expect(doc.tasks.succeeded).toBe(doc.tasks.total);
  const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
  expect(out.map((x) => x.n)).toEqual(Array.from({ length: 600 }, (_, i) => i));
}

async function stop(d: ReturnType<typeof startDaemon>): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGTERM');
  await d.done;
}

describe('djc coordinator failover', () => {
  it('a second coordinator stands by, says so, and its /readyz answers 503 role standby', async () => {
    const leader = startDaemon();
    await leader.leading();
    const standby = startDaemon(['--listen', '127.0.0.1:0']);
    try {
      await waitFor('the standby line', async () => standby.stderr().includes('standby API at'), 30_000);
      expect(standby.stderr()).toMatch(new RegExp(`djc: standby for backend local .*: pid ${leader.child.pid} on .+ leads it \\(epoch 1\\); taking over when its lock expires \\(in \\d+s unless renewed\\), at once if it dies on this host`));
      // It does not serve the home's socket (the leader does).
      expect(standby.stderr()).not.toContain('API at unix:');
      const base = /standby API at (http:\/\/127\.0\.0\.1:\d+)/.exec(standby.stderr())?.[1];
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ role: 'standby', leader: { pid: leader.child.pid, epoch: 1 }, error: { code: 'NOT_READY' } });
    } finally {
      await stop(standby);
      await stop(leader);
    }
    expect((await standby.done).code).toBe(0);
  });

  /** A job of slow tasks, a leader coordinating it (5 tasks done) and a standby that said so. */
  async function midJobWithStandby() {
    const jobId = await submit(slowJob(150));
    const leader = startDaemon(LONG_TTL);
    await leader.leading();
    const standby = startDaemon(LONG_TTL);
    try {
      await waitFor('the standby line', async () => standby.stderr().includes('standby for'), 30_000);
      await waitFor('tasks done under the first leader', async () => (await succeeded(jobId)) >= 5, 60_000);
    } catch (e) {
      await stop(standby);
      await stop(leader);
      throw e;
    }
    return { jobId, leader, standby };
  }

  it('takes over at once from a leader SIGKILLed on this host; the job completes exactly, its workers not restarted', async () => {
    const { jobId, leader, standby } = await midJobWithStandby();
    try {
      const before = new Set((await tasks(jobId)).map((t) => t.worker).filter((w) => w !== null));
      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await leader.done;
      await standby.leading();
      expect(standby.stderr(), standby.stderr()).toMatch(new RegExp(`leading \\(epoch 2, took over from pid ${leader.child.pid} on .+: it died\\)`));
      await expectExact(jobId);
      // The dead leader's workers kept working (tasks started after the kill), and no attempt was lost.
      const after = await tasks(jobId);
      expect(after.filter((t) => before.has(t.worker) && Date.parse(t.startedAt ?? '') > killedAt).length).toBeGreaterThan(0);
      expect(after.every((t) => t.attempts === 1)).toBe(true);
    } finally {
      await stop(standby);
      await stop(leader);
    }
  });

  it('SIGTERM releases the lock at once: the standby takes over and finishes the job', async () => {
    const { jobId, leader, standby } = await midJobWithStandby();
    try {
      leader.child.kill('SIGTERM');
      expect((await leader.done).code).toBe(0);
      await standby.leading();
      expect(standby.stderr(), standby.stderr()).toMatch(new RegExp(`leading \\(epoch 2, took over from pid ${leader.child.pid} on .+: it stopped\\)`));
      await expectExact(jobId);
    } finally {
      await stop(standby);
      await stop(leader);
    }
  });

  it('a leader paused past its lock\'s expiry stops coordinating when it wakes, stands by, and leaves the socket to the new leader', async () => {
    const jobId = await submit(slowJob(150));
    // Short enough to keep the test brief, long enough that a loaded machine (CI, load 10-20) does not make
    // the first leader miss its renewals before the test pauses it (a 2 s lock flapped there).
    const short = ['--lock-ttl', '5s', '--lock-renew', '1s'];
    const a = startDaemon(short);
    await a.leading();
    const b = startDaemon(short);
    try {
      await waitFor('the standby line', async () => b.stderr().includes('standby for'), 30_000);
      await waitFor('tasks done under the first leader', async () => (await succeeded(jobId)) >= 5, 60_000);
      a.child.kill('SIGSTOP');
      await b.leading();
      expect(b.stderr(), b.stderr()).toMatch(new RegExp(`leading \\(epoch 2, took over from pid ${a.child.pid} on .+: its lock expired\\)`));
      a.child.kill('SIGCONT');
      await waitFor('the old leader standing by', async () => /lost the coordinator lock \(.*\); stopped coordinating, standing by/.test(a.stderr()) && a.stderr().includes(`pid ${b.child.pid} on`), 30_000);
      // The socket in the home is the new leader's, even after the old one closed its own.
      const socket = /API at unix:(\S+)/.exec(b.stderr())?.[1] ?? '';
      expect((await api(socket, 'GET', '/readyz')).json).toMatchObject({ ready: true, role: 'leader', coordinator: { pid: b.child.pid, epoch: 2 } });
      await expectExact(jobId);
    } finally {
      a.child.kill('SIGCONT');
      await stop(b);
      await stop(a);
    }
  });

  it('refuses a renewal interval that leaves the lock no margin (exit 2), from flags or the settings file', async () => {
    const flags = await djc(['coordinator', '--lock-ttl', '5s', '--lock-renew', '4s'], opts());
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--lock-ttl 5s --lock-renew 4s: renewing every 4000ms leaves a 5000ms lock no margin');
    const junk = await djc(['coordinator', '--lock-ttl', 'soon'], opts());
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('--lock-ttl: expected a duration, e.g. 15s or 500ms, found "soon"');
    writeFileSync(join(box.dir, 'daemon.yaml'), 'lock: { ttl: 10s, renew: 6s }\n');
    const file = await djc(['coordinator', '--config', 'daemon.yaml'], opts());
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('daemon.yaml: lock.renew: renewing every 6000ms leaves a 10000ms lock no margin');
  });

  it('a live holder on another host is taken over only once its lock expired', async () => {
    const backend = createLocalBackend({ home: box.home });
    const heldUntil = Date.now() + 8_000;
    try {
      const fake = { owner: 'elsewhere:4242:beef', pid: 4242, host: 'elsewhere.example', heartbeatAt: Date.now(), expiresAt: heldUntil };
      expect(await backend.state.acquireCoordinatorLock(fake)).toBe(true);
    } finally {
      await backend.close();
    }
    const standby = startDaemon([], { DJC_LOG_LEVEL: 'info' });
    try {
      await waitFor('the standby line', async () => standby.stderr().includes('standby for'), 30_000);
      expect(standby.stderr()).toContain('pid 4242 on elsewhere.example leads it (epoch 1)');
      await standby.leading();
      expect(standby.stderr(), standby.stderr()).toMatch(/leading \(epoch 2, took over from pid 4242 on elsewhere\.example: its lock expired\)/);
      const started = standby.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; time: number; how?: string })
        .find((l) => l.msg === 'coordinator started');
      expect(started?.how).toBe('expired');
      expect(started?.time).toBeGreaterThanOrEqual(heldUntil);
    } finally {
      await stop(standby);
    }
  });
});
