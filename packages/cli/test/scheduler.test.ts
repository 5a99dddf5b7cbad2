/**
 * The daemon schedules (issue 11), driven as users do: `djc coordinator`
 * with a declared capacity, jobs submitted with `djc submit`, and what the
 * daemon records (each worker's allocation on its job, the queue
 * document). Orders and overlaps come from recorded times.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djcStart, sandboxPerTest, sleep, waitFor } from './helpers.js';
import { writeHandlers, writeReviews } from './pipeline-helpers.js';
import {
  firstStart, lastEnd, peakCpus, startOrder, statusOf, submit, waitAll, waitStatus, writeSleepJob, type JobDoc,
} from './scheduler-helpers.js';

const box = sandboxPerTest('djc-sched-');
const run = (args: string[]) => box.run(args);

/** `djc coordinator ...args` in the background until `body` ends, then SIGTERM. */
async function withDaemon<T>(args: string[], body: () => Promise<T>): Promise<T> {
  const d = daemon(args);
  try {
    return await body();
  } finally {
    await d.stop();
  }
}

function daemon(args: string[]) {
  const d = djcStart(['coordinator', ...args], { cwd: box.dir, home: box.home });
  return {
    stderr: d.stderr,
    async stop() {
      d.child.kill('SIGTERM');
      const r = await d.done;
      expect(r.code, r.stderr).toBe(0);
    },
  };
}

function settings(yaml: string): string {
  writeFileSync(join(box.dir, 'daemon.yaml'), yaml);
  return 'daemon.yaml';
}

describe('the daemon schedules jobs onto its capacity', () => {
  it('three jobs asking 2 cpus per worker never hold more than the 4 declared cpus at any moment', async () => {
    const docs = await withDaemon(['--cpus', '4'], async () => {
      const ids = [];
      for (const name of ['j1', 'j2', 'j3']) ids.push(await submit(run, box.dir, { name, tasks: 4, sleep: 0.4, workers: 2, cpus: 2 }));
      return waitAll(run, ids);
    });
    expect(docs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    for (const d of docs) expect(new Set(d.workers?.allocations?.map((a) => a.cpus))).toEqual(new Set([2]));
    // The capacity was used (two workers of 2 cpus at once) and never exceeded.
    expect(peakCpus(docs)).toBe(4);
  });

  it('workers go by priority, and djc priority changes the order before they start', async () => {
    const ids = [];
    for (const [name, p] of [['a', 'low'], ['b', 'normal'], ['c', 'high'], ['d', 'low']] as const) {
      ids.push(await submit(run, box.dir, { name, cpus: 2, sleep: 0.2 }, ['--priority', p]));
    }
    const changed = await run(['priority', ids[3] as string, 'urgent']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout.trim()).toBe(`${ids[3]} priority low -> urgent`);
    expect((await statusOf(run, ids[3] as string)).priority).toBe('urgent');
    const bad = await run(['priority', ids[0] as string, 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected low, normal, high, urgent or an integer');
    // Each job takes the whole pool: they run one after the other, in priority order.
    const docs = await withDaemon(['--cpus', '2'], () => waitAll(run, ids));
    expect(startOrder(docs)).toEqual(['d', 'c', 'b', 'a']);
    expect(peakCpus(docs)).toBe(2);
  });

  it('aging lets a low job start under a stream of high ones', async () => {
    const docs = await withDaemon(['--cpus', '2', '--config', settings('aging: 500ms\n')], async () => {
      const blocker = await submit(run, box.dir, { name: 'blocker', cpus: 2, sleep: 4, priority: 'high' });
      await waitStatus(run, blocker, 'RUNNING');
      const low = await submit(run, box.dir, { name: 'low', cpus: 2, sleep: 0.2, priority: 'low' });
      // A stream: one high job every 400 ms. Low (two classes below high) overtakes a high job submitted two aging
      // intervals (1 s) after it; submits alone (~100 ms each now) would all land within that and age alongside it.
      const highs = [];
      for (let i = 1; i <= 5; i++) {
        await sleep(400);
        highs.push(await submit(run, box.dir, { name: `high${i}`, cpus: 2, sleep: 0.2, priority: 'high' }));
      }
      return waitAll(run, [blocker, low, ...highs]);
    });
    const order = startOrder(docs);
    // Without aging the low job would start last; waiting, it overtakes the high jobs submitted well after it.
    expect(order.indexOf('low')).toBeLessThan(order.length - 1);
    expect(order[0]).toBe('blocker');
  });

  it('fair share: an owner with less recent usage goes first within a class', async () => {
    const ids = [];
    for (const name of ['a1', 'a2', 'a3']) ids.push(await submit(run, box.dir, { name, cpus: 2, sleep: 0.5, labels: { team: 'a' } }));
    for (const name of ['b1', 'b2']) ids.push(await submit(run, box.dir, { name, cpus: 2, sleep: 0.5, labels: { team: 'b' } }));
    const docs = await withDaemon(['--cpus', '2', '--config', settings('fair_share: { owner_label: team, half_life: 1h }\n')], () => waitAll(run, ids));
    const order = startOrder(docs);
    expect(order[0]).toBe('a1');
    // Submitted after all of a's jobs, b's go as soon as a has used more.
    expect(order.indexOf('b1')).toBeLessThan(order.indexOf('a2'));
    expect(order.indexOf('b2')).toBeLessThan(order.indexOf('a3'));
  });

  it('backfill: a small job starts while a larger one waits, without delaying it', async () => {
    const docs = await withDaemon(['--cpus', '4'], async () => {
      // x's first task takes 1 s; the others wait for the file `x-go`, so x runs until the test lets it end.
      const x = await submit(run, box.dir, { name: 'x', cpus: 2, tasks: 10, sleep: 1, gate: 'x-go' });
      // Once a task of x has ended, its remaining time is estimated: the head gets an exact reservation.
      await waitFor('a task of x done', async () => /"succeeded": 1\b/.test((await run(['status', x, '--json'])).stdout));
      // The head: 3 cpus, only 2 free until x ends. Then a small job that fits what the head leaves over.
      const head = await submit(run, box.dir, { name: 'head', cpus: 3, sleep: 0.3 });
      await waitStatus(run, head, 'QUEUED');
      // It fits the cpu the head leaves over at its reservation, so it may run past x's end.
      const small = await submit(run, box.dir, { name: 'small', cpus: 1, tasks: 3, sleep: 3 });
      await waitStatus(run, small, 'RUNNING');
      writeFileSync(join(box.dir, 'x-go'), '');
      return waitAll(run, [x, head, small]);
    });
    const [x, head, small] = docs as [JobDoc, JobDoc, JobDoc];
    expect(firstStart(small)).toBeLessThan(firstStart(head));
    // The head started once x freed its cpus, while the backfilled job still ran: it did not wait for it.
    expect(firstStart(head)).toBeGreaterThanOrEqual(lastEnd(x));
    expect(firstStart(head)).toBeLessThan(lastEnd(small));
    expect(peakCpus(docs)).toBe(4);
  });

  it('preemption (--preempt urgent): an urgent job takes the workers back; nothing is lost and the preempted job finishes', async () => {
    const docs = await withDaemon(['--cpus', '2', '--preempt', 'urgent'], async () => {
      const low = await submit(run, box.dir, { name: 'low', workers: 2, cpus: 1, tasks: 10, sleep: 1 });
      await waitFor('two tasks of low running', async () => {
        const r = await run(['status', low, '--json']);
        return (JSON.parse(r.stdout) as { tasks: { running: number } }).tasks.running === 2;
      });
      // urgent's tasks after its first wait for the file `urgent-go`: low stays preempted (QUEUED) until the test has seen it,
      // however slowly `djc status` answers on a loaded machine (at load 35 a 3-second window was missed).
      const urgent = await submit(run, box.dir, { name: 'urgent', cpus: 2, tasks: 3, sleep: 1, gate: 'urgent-go' }, ['--priority', 'urgent']);
      const preempted = await waitStatus(run, low, 'QUEUED');
      expect(preempted.reason).toContain(`preempted by urgent (${urgent})`);
      writeFileSync(join(box.dir, 'urgent-go'), '');
      return waitAll(run, [low, urgent]);
    });
    const [low, urgent] = docs as [JobDoc, JobDoc];
    expect(peakCpus(docs)).toBe(2);
    // low's workers before the urgent job all ended before it started; low started again after.
    const lowAllocs = low.workers?.allocations ?? [];
    const before = lowAllocs.filter((a) => Date.parse(a.startedAt) < firstStart(urgent));
    expect(before.length).toBe(2);
    for (const a of before) expect(Date.parse(a.endedAt as string)).toBeLessThanOrEqual(firstStart(urgent));
    expect(lowAllocs.some((a) => Date.parse(a.startedAt) >= lastEnd(urgent))).toBe(true);
    // Every task succeeded once, every record is in the output once: no attempt or record was lost.
    const tasks = JSON.parse((await run(['tasks', low.jobId, '--json'])).stdout) as { tasks: { status: string; error: string | null }[] };
    expect(tasks.tasks.map((t) => t.status)).toEqual(Array(10).fill('SUCCEEDED'));
    const out = (await run(['results', low.jobId])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    expect(out.sort((p, q) => p - q)).toEqual([...Array(10).keys()]);
  });

  it('a job that can never fit is refused with exit 2 and the numbers (submit to a daemon, run here); one submitted before the daemon started fails with them', async () => {
    const early = await submit(run, box.dir, { name: 'early', cpus: 8 });
    await withDaemon(['--cpus', '4'], async () => {
      const failed = await waitStatus(run, early, 'FAILED');
      expect(failed.error).toContain('can never start');
      await waitFor('the queue document', async () => (await run(['queue', '--json'])).code === 0);
      const r = await run(['submit', writeSleepJob(box.dir, { name: 'huge', cpus: 8 })]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('huge: one worker can never start: compute.resources.cpus 8 > 4 cpus of the running coordinator');
      expect(r.stdout).toBe('');
    });
    const ran = await run(['run', writeSleepJob(box.dir, { name: 'huger', cpus: 4096 })]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/huger: one worker can never start: compute\.resources\.cpus 4096 > \d+ cpus of this machine/);
    const list = await run(['list', '-q']);
    expect(list.stdout.trim().split('\n')).toEqual([early]);
  });

  it('djc run starts no more workers than fit this machine, and says so', async () => {
    const file = writeSleepJob(box.dir, { name: 'wide', workers: 64, cpus: 1, tasks: 2, sleep: 0.1 });
    const r = await run(['run', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/djc: starting \d+ of 64 workers: each asks 1 cpus \(compute\.resources\)/);
    expect(r.stderr).toContain('compute.resources.cpus=0.5');
    const doc = JSON.parse(r.stdout) as JobDoc;
    expect(doc.workers?.allocations?.length ?? 0).toBeLessThan(64);
  });

  it('queue reasons match the situation: waiting for cpus, then behind another job', async () => {
    await withDaemon(['--cpus', '2'], async () => {
      // The blocker holds the cpus until cancelled, so the situation cannot dissolve under load.
      const blocker = await submit(run, box.dir, { name: 'blocker', cpus: 2, sleep: 600 });
      await waitStatus(run, blocker, 'RUNNING');
      const q1 = await submit(run, box.dir, { name: 'q1', cpus: 2 });
      const q2 = await submit(run, box.dir, { name: 'q2', cpus: 1 }, ['--priority', 'low']);
      const doc = await waitFor('both queued in the queue document', async () => {
        const r = await run(['queue', '--json']);
        if (r.code !== 0) return undefined;
        const d = JSON.parse(r.stdout) as { queue: { jobs: { jobId: string; position: number | null; reason: { code: string; jobsAhead: number; message: string } | null }[] } | null };
        const jobs = d.queue?.jobs ?? [];
        const a = jobs.find((j) => j.jobId === q1);
        const b = jobs.find((j) => j.jobId === q2);
        return a?.reason && b?.reason ? { a, b } : undefined;
      });
      expect(doc.a).toMatchObject({ position: 1, reason: { code: 'resources', jobsAhead: 0 } });
      expect(doc.a.reason?.message).toContain('needs 2 cpus, 0 free');
      expect(doc.b).toMatchObject({ position: 2, reason: { jobsAhead: 1 } });
      const status = await statusOf(run, q1);
      expect(status).toMatchObject({ status: 'QUEUED' });
      expect(status.reason).toContain('needs 2 cpus');
      expect((await run(['cancel', blocker])).code).toBe(0);
      const docs = await waitAll(run, [q1, q2]);
      expect(docs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    });
  });

  it('a daemon restart keeps the order: priority (changed while queued), owner and queue time are on the records', async () => {
    // The blocker holds the cpus until cancelled, so the others stay QUEUED across the restart however slow the machine;
    // urgent, so the restarted daemon, which sees it holding nothing yet, gives it the cpus before a (made urgent later).
    const blocker = await submit(run, box.dir, { name: 'blocker', cpus: 2, sleep: 600, priority: 'urgent' });
    const ids = [];
    for (const [name, p] of [['a', 'low'], ['b', 'normal'], ['c', 'normal']] as const) ids.push(await submit(run, box.dir, { name, cpus: 2, sleep: 0.2 }, ['--priority', p]));
    const first = daemon(['--cpus', '2']);
    await waitStatus(run, blocker, 'RUNNING');
    for (const id of ids) await waitStatus(run, id, 'QUEUED');
    expect((await run(['priority', ids[0] as string, 'urgent'])).code).toBe(0);
    await first.stop();
    for (const id of ids) expect((await statusOf(run, id)).status).toBe('QUEUED');
    const docs = await withDaemon(['--cpus', '2'], async () => {
      await waitStatus(run, blocker, 'RUNNING');
      for (const id of ids) expect((await statusOf(run, id)).status).toBe('QUEUED');
      expect((await run(['cancel', blocker])).code).toBe(0);
      return waitAll(run, ids);
    });
    expect(startOrder(docs)).toEqual(['a', 'b', 'c']);
    expect(peakCpus(docs)).toBe(2);
  });

  it('the daemon settings: a bad value or an unknown key is exit 2 naming the file and the key', async () => {
    const bad = await run(['coordinator', '--config', settings('fair_share: { half_life: soon }\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('daemon.yaml: fair_share.half_life: expected a duration');
    const unknown = await run(['coordinator', '--config', settings('agin: 1m\n')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('daemon.yaml: agin: not a setting');
    const flag = await run(['coordinator', '--cpus', 'lots']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--cpus: expected a positive number of CPUs');
  });

  it("a pipeline's priority is its stage runs'; a stage's own wins; submit records the owner", async () => {
    writeReviews(box.dir, 10);
    writeHandlers(box.dir);
    writeFileSync(join(box.dir, 'p.yaml'), `name: prio
priority: high
stages:
  clean:
    input: { path: reviews.jsonl, batch: { records: 40 } }
    handler: { module: ./clean.mjs#clean }
  stats:
    needs: [clean]
    priority: low
    input: { from: clean, batch: { records: 50 } }
    handler: { module: ./stats.mjs#count }
`);
    const r = await run(['submit', 'p.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const doc = JSON.parse((await run(['status', jobId, '--json'])).stdout) as { owner: string; stages: { runs: { name: string; priority: string; owner: string }[] }[] };
    const runs = doc.stages.flatMap((st) => st.runs);
    expect(runs.map((x) => [x.name, x.priority])).toEqual([['prio.clean', 'high'], ['prio.stats', 'low']]);
    expect(doc.owner).not.toBe('');
    expect(runs.every((x) => x.owner === doc.owner)).toBe(true);
    // djc priority of a pipeline changes every unfinished run.
    expect((await run(['priority', jobId, 'urgent'])).code).toBe(0);
    const after = JSON.parse((await run(['status', jobId, '--json'])).stdout) as { stages: { runs: { priority: string }[] }[] };
    expect(after.stages.flatMap((st) => st.runs).map((x) => x.priority)).toEqual(['urgent', 'urgent']);
  });

  it('queue reasons name the limit that holds a job back: max_jobs, an owner quota', async () => {
    const yaml = 'max_jobs: 2\nquotas: { carol: { max_jobs: 1 } }\nfair_share: { owner_label: user }\n';
    await withDaemon(['--cpus', '4', '--config', settings(yaml)], async () => {
      const reasonOf = (id: string) => waitFor(`${id} waiting in the queue document`, async () => {
        const r = await run(['queue', '--json']);
        if (r.code !== 0) return undefined;
        const jobs = (JSON.parse(r.stdout) as { queue: { jobs: { jobId: string; reason: { code: string; message: string } | null }[] } | null }).queue?.jobs ?? [];
        return jobs.find((j) => j.jobId === id)?.reason ?? undefined;
      });
      // c1 and d1 hold their places until cancelled, so the situation cannot dissolve under load.
      const c1 = await submit(run, box.dir, { name: 'c1', sleep: 120, labels: { user: 'carol' } });
      await waitStatus(run, c1, 'RUNNING');
      // 4 cpus, 3 free, 1 job of 2 running: carol's own quota holds c2 back.
      const c2 = await submit(run, box.dir, { name: 'c2', sleep: 0.2, labels: { user: 'carol' } });
      const quota = await reasonOf(c2);
      expect(quota).toMatchObject({ code: 'quota' });
      expect(quota.message).toContain('carol');
      const d1 = await submit(run, box.dir, { name: 'd1', sleep: 120, labels: { user: 'dave' } });
      await waitStatus(run, d1, 'RUNNING');
      // Now 2 jobs run: max_jobs holds dave's second back, cpus free or not.
      const d2 = await submit(run, box.dir, { name: 'd2', sleep: 0.2, labels: { user: 'dave' } });
      const max = await reasonOf(d2);
      expect(max).toMatchObject({ code: 'max_jobs' });
      expect(max.message).toContain('max_jobs');
      for (const id of [c1, d1]) expect((await run(['cancel', id])).code).toBe(0);
      const docs = await waitAll(run, [c2, d2]);
      expect(docs.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    });
  });

  it('the daemon pins each worker to its own cpus; djc run, which does not own the machine, pins none', async () => {
    const allowed = (readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)$/m) ?? [])[1];
    writeFileSync(join(box.dir, 'pin.jsonl'), Array.from({ length: 6 }, (_, n) => `{"n":${n}}\n`).join(''));
    writeFileSync(join(box.dir, 'pin.yaml'), `name: pin
input: { path: pin.jsonl, batch: { records: 1 } }
handler: { command: "sleep 0.3; grep Cpus_allowed_list /proc/self/status | cut -f2" }
compute: { workers: 2, resources: { cpus: 1 } }
`);
    const id = (await run(['submit', 'pin.yaml'])).stdout.trim();
    const [doc] = await withDaemon(['--cpus', '2'], () => waitAll(run, [id]));
    expect(doc?.status).toBe('SUCCEEDED');
    const ids = (doc?.workers?.allocations ?? []).map((a) => (a as unknown as { cpuIds: number[] }).cpuIds);
    expect(ids.length).toBeGreaterThan(0);
    for (const one of ids) expect(one).toHaveLength(1);
    // Each task saw only the cpu its worker was pinned to (not the machine's whole list).
    const seen = new Set((await run(['results', id])).stdout.trim().split('\n'));
    for (const cpu of seen) expect(ids.map((x) => String(x[0]))).toContain(cpu);

    const local = await run(['run', 'pin.yaml', '--json']);
    expect(local.code, local.stderr).toBe(0);
    const unpinned = new Set((await run(['results', (JSON.parse(local.stdout) as { jobId: string }).jobId])).stdout.trim().split('\n'));
    expect([...unpinned]).toEqual([allowed]);
  });
});
