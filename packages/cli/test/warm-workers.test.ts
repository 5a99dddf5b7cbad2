/**
 * A daemon's warm workers (issue 14, settings `warm_workers`): a worker
 * started before its job, bound to it when the job is granted a worker,
 * runs the job's handler exactly as a worker started for the job does (its
 * environment, cwd, memory limit, CPU mask, log, result), and the pool never
 * holds more than its size nor any of a job's resources while idle.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, idleWarmWorkerPids, sandboxPerTest, sleep, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest('djc-warm-');
const opts = () => ({ cwd: box.dir, home: box.home });

/** What the handler sees of its process, returned as the task's output. */
const HANDLER = `import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
export async function probe(records, ctx) {
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    n: records.length,
    cwd: process.cwd(),
    home: process.env.DJC_HOME ?? null,
    memory: process.env.DJC_WORKER_MEMORY ?? null,
    cuda: process.env.CUDA_VISIBLE_DEVICES ?? null,
    cpus: /^Cpus_allowed_list:\\s*(\\S+)/m.exec(status)?.[1] ?? null,
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    job: ctx.jobId,
    processStartedAt: Date.now() - process.uptime() * 1000,
  };
}
`;

function writeJob(): void {
  writeFileSync(join(box.dir, 'probe.mjs'), HANDLER);
  writeFileSync(join(box.dir, 'one.jsonl'), '{"n":1}\n');
  writeFileSync(join(box.dir, 'probe.yaml'), [
    'name: probe', 'input: { path: one.jsonl, batch: { records: 1 } }', 'handler: { module: ./probe.mjs#probe }',
    'compute: { workers: 1, resources: { cpus: 1, memory: 512MiB } }', 'output: { path: out.jsonl }', '',
  ].join('\n'));
}

interface Probe {
  n: number; cwd: string; home: string | null; memory: string | null; cuda: string | null; cpus: string | null;
  heapLimitMiB: number; job: string; processStartedAt: number;
}

/** Runs `djc coordinator --config settings.yaml` until `fn` is done, then stops it (exit 0). */
async function withDaemon<T>(settings: string, fn: () => Promise<T>, flags: string[] = []): Promise<T> {
  writeFileSync(join(box.dir, 'settings.yaml'), settings);
  const d = djcStart(['coordinator', '--config', 'settings.yaml', ...flags], opts());
  try {
    await waitFor('the coordinator leading', async () => d.stderr().includes('coordinator running'));
    return await fn();
  } finally {
    d.child.kill('SIGTERM');
    const r = await d.done;
    expect(r.code, r.stderr).toBe(0);
  }
}

/** Submits the probe job and waits for it; returns what its handler saw, its record's createdAt and its worker log. */
async function runProbe(): Promise<{ probe: Probe; createdAt: number; workerLog: string }> {
  const s = await djc(['submit', 'probe.yaml'], opts());
  expect(s.code, s.stderr).toBe(0);
  const id = s.stdout.trim();
  const w = await djc(['wait', id, '--json', '--interval', '200ms'], opts());
  expect(w.code, w.stdout + w.stderr).toBe(0);
  const [probe] = readFileSync(join(box.dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Probe);
  const logs = await djc(['logs', id, '--workers'], opts());
  expect(logs.code, logs.stderr).toBe(0);
  return { probe: probe as Probe, createdAt: Date.parse(JSON.parse(w.stdout).createdAt as string), workerLog: logs.stdout };
}

/** The pool has `n` idle warm workers, each of which logged that it is ready. */
async function poolReady(n: number): Promise<void> {
  await waitFor(`${n} warm workers ready`, async () => {
    const pids = idleWarmWorkerPids(box.home);
    const ready = pids.filter((pid) => readFileSync(`/proc/${pid}/fd/1`, 'utf8').includes('"warm worker ready"'));
    return ready.length === n;
  }, 90_000);
}

describe('warm workers', () => {
  it('run a job\'s handler as a worker started for the job does: env, cwd, memory limit, CPU mask, log, result', async () => {
    writeJob();
    const cold = await withDaemon('warm_workers: 0\n', async () => {
      expect(idleWarmWorkerPids(box.home)).toEqual([]);
      return runProbe();
    });
    const warm = await withDaemon('warm_workers: 1\n', async () => {
      await poolReady(1);
      return runProbe();
    });
    // The warm one's process was running before the job was written; the cold one's started after.
    expect(warm.probe.processStartedAt).toBeLessThan(warm.createdAt);
    expect(cold.probe.processStartedAt).toBeGreaterThan(cold.createdAt);
    expect(warm.workerLog).toContain('warm worker bound to a job');
    expect(cold.workerLog).not.toContain('warm worker');
    // Everything the handler sees of its process is the same, but its job.
    const same = ({ processStartedAt: _p, job: _j, ...rest }: Probe) => rest;
    expect(same(warm.probe)).toEqual(same(cold.probe));
    expect(same(warm.probe)).toMatchObject({ n: 1, cwd: box.dir, home: box.home, memory: String(512 * 2 ** 20) });
    // Its heap limit is the job's memory (one slot), not the default of a worker with no limit.
    expect(warm.probe.heapLimitMiB).toBeLessThan(1024);
  });

  it('never holds more than its size, nor any of a job\'s resources while idle', async () => {
    writeJob();
    const queueUsed = async () => {
      const q = await djc(['queue', '--json'], opts());
      expect(q.code, q.stderr).toBe(0);
      const doc = JSON.parse(q.stdout) as { queue: { pools: { pool: string; used: { cpus: number; workers: number } }[] } | null };
      return doc.queue?.pools.find((p) => p.pool === 'local')?.used;
    };
    // One CPU in all: a job asking one CPU runs only if the idle warm workers hold none.
    await withDaemon('warm_workers: 2\n', async () => {
      await poolReady(2);
      const seen: number[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          seen.push(idleWarmWorkerPids(box.home).length);
          await sleep(50);
        }
      })();
      try {
        for (let i = 0; i < 3; i++) {
          const { probe } = await runProbe();
          expect(probe.n).toBe(1);
        }
      } finally {
        sampling = false;
        await sampler;
      }
      expect(Math.max(...seen)).toBeLessThanOrEqual(2);
      // Idle again: the pool refills to its size, and the scheduler counts nothing in use.
      await poolReady(2);
      await waitFor('no job worker left', async () => workerPids(box.home).length === 0);
      // The queue document is written on the ticks after the job ended.
      const used = await waitFor('the queue document with nothing in use', async () => {
        const u = await queueUsed();
        return u && u.workers === 0 ? u : null;
      });
      expect(used).toMatchObject({ cpus: 0, workers: 0 });
      expect(idleWarmWorkerPids(box.home)).toHaveLength(2);
    }, ['--cpus', '1']);
    // Stopped with the daemon.
    await waitFor('the warm workers gone', async () => idleWarmWorkerPids(box.home).length === 0, 20_000);
  });
});
