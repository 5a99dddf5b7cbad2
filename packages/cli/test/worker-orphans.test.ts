/**
 * Workers of a coordinator that died and was never replaced (issue 13):
 * they exit after compute.worker_orphan_timeout instead of polling forever,
 * and `djc status` says the job has no coordinator and shows the workers
 * that were killed meanwhile as gone, not running.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, djcStart, sandboxPerTest, waitFor, workerPids } from './helpers.js';

const box = sandboxPerTest();
/** Status calls a job orphaned after 4 s without a coordinator's mark (default 30 s; marks come every 2 s). */
const STALE = { DJC_COORDINATOR_STALE_SECONDS: '4' };

interface StatusDoc {
  jobId: string;
  status: string;
  tasks: { running: number; succeeded: number };
  coordinator: { owner: string | null; seenAt: string | null; orphaned: boolean };
  workers?: { groups: { state: string; count: number }[]; summary: string; allocations?: { pid?: number; gone?: boolean }[] };
}

async function statusDoc(): Promise<StatusDoc> {
  const r = await djc(['status', '--json'], { cwd: box.dir, home: box.home, env: STALE });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusDoc;
}

async function statusText(): Promise<string> {
  const r = await djc(['status'], { cwd: box.dir, home: box.home, env: STALE });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function job(body: string): string {
  const file = join(box.dir, 'job.yaml');
  writeFileSync(file, `name: orphans\n${body}`);
  return file;
}

describe('workers whose coordinator is gone', () => {
  it('a coordinator SIGKILLed during prepare: its workers exit after the orphan timeout, and status says nobody coordinates the job', async () => {
    // An S3 endpoint that accepts connections and never answers: prepare waits there for ever.
    const sockets = new Set<Socket>();
    const server = createServer((sock) => { sockets.add(sock); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      job('input: { path: s3://bucket/in.jsonl }\nhandler: { command: cat }\ncompute: { workers: 2, worker_orphan_timeout: 5s }\n');
      const run = djcStart(['run', 'job.yaml'], {
        cwd: box.dir, home: box.home,
        env: { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      });
      await waitFor('prepare to ask the endpoint, with both workers up', async () => sockets.size > 0 && workerPids(box.home).length === 2);
      // Recorded while it prepares (no monitor tick yet).
      const before = await waitFor('the workers recorded', async () => {
        const doc = await statusDoc();
        return doc.workers?.summary === 'local processes: 2 running' && doc;
      });
      expect(before.status).toBe('PREPARING');
      expect(before.coordinator.orphaned).toBe(false);
      expect(before.coordinator.owner).toMatch(/^djc run on .* \(pid \d+\)$/);

      run.child.kill('SIGKILL');
      await run.done;
      // The workers poll the PREPARING job until its mark is 5 s old (their clock), then exit.
      await waitFor('the workers to exit', async () => workerPids(box.home).length === 0, 30_000);

      const after = await statusDoc();
      expect(after.status).toBe('PREPARING');
      expect(after.coordinator.orphaned).toBe(true);
      expect(after.coordinator.owner).toBe(before.coordinator.owner);
      expect(Date.parse(after.coordinator.seenAt ?? '')).toBeGreaterThanOrEqual(Date.parse(before.coordinator.seenAt ?? ''));
      const text = await statusText();
      expect(text).toContain('warning  this job is not moving: its coordinator (djc run on');
      expect(text).toContain('Start one with `djc coordinator`');
      // The workers were gone before status looked: shown gone, not running.
      expect(after.workers?.summary).toBe('local processes: 2 gone (process not found)');
      expect(text).toContain('workers  local processes: 2 gone (process not found)');

      const logs = await box.run(['logs', after.jobId, '--workers']);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout.match(/no coordinator: giving back held tasks, finishing running ones, exiting/g)).toHaveLength(2);
      expect(logs.stdout).toContain('compute.worker_orphan_timeout: 5s');
    } finally {
      for (const sock of sockets) sock.destroy();
      server.close();
    }
  });

  it('a worker SIGKILLed after its coordinator died is shown gone, not running; the other works on, then exits for want of a coordinator', async () => {
    writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: 400 }, (_, i) => `{"n":${i}}\n`).join(''));
    const go = join(box.dir, 'go');
    // Every task waits for the file `go`: two tasks running means each worker is inside one.
    writeFileSync(join(box.dir, 'slow.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  return records;
}
`);
    job('input: { path: numbers.jsonl, batch: { records: 4 } }\nhandler: { module: ./slow.mjs#echo }\n'
      + 'compute: { workers: 2, worker_orphan_timeout: 5s }\noutput: { path: out.jsonl }\n');
    const run = djcStart(['run', 'job.yaml'], { cwd: box.dir, home: box.home });
    await waitFor('two running tasks', async () => {
      const r = await djc(['status', '--json'], { cwd: box.dir, home: box.home });
      return r.code === 0 && (JSON.parse(r.stdout) as StatusDoc).tasks.running === 2;
    });
    const running = await statusDoc();
    expect(running.workers?.summary).toBe('local processes: 2 running');
    const pids = (running.workers?.allocations ?? []).map((a) => a.pid);
    expect(pids.sort()).toEqual(workerPids(box.home).sort());

    run.child.kill('SIGKILL');
    await run.done;
    const [victim, survivor] = workerPids(box.home) as [number, number];
    process.kill(victim, 'SIGKILL');
    await waitFor('the killed worker to be reaped', async () => !workerPids(box.home).includes(victim));

    const one = await statusDoc();
    expect(one.workers?.groups).toEqual([{ state: 'RUNNING', reason: null, count: 1 }, { state: 'GONE', reason: 'process not found', count: 1 }]);
    expect(one.workers?.summary).toBe('local processes: 1 running, 1 gone (process not found)');
    expect(one.workers?.allocations?.filter((a) => a.gone).map((a) => a.pid)).toEqual([victim]);
    expect(await statusText()).toContain('workers  local processes: 1 running, 1 gone (process not found)');

    // The survivor runs tasks (0.3 s each, 100 of them) until it sees nobody has coordinated the job for 5 s, then exits.
    writeFileSync(go, '');
    await waitFor('the surviving worker to exit', async () => !workerPids(box.home).includes(survivor), 30_000);
    const none = await statusDoc();
    expect(none.status).toBe('RUNNING');
    expect(none.coordinator.orphaned).toBe(true);
    expect(none.tasks.succeeded).toBeGreaterThan(0);
    expect(none.tasks.succeeded).toBeLessThan(98);
    expect(none.workers?.summary).toBe('local processes: 2 gone (process not found)');
    const logs = await box.run(['logs', none.jobId, '--workers']);
    expect(logs.stdout.match(/no coordinator: giving back held tasks, finishing running ones, exiting/g)).toHaveLength(1);
  });
});
