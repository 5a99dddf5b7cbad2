/**
 * The chaos suite's harness: starts coordinators (a leader and a standby),
 * kills by PID only the processes this test started (its coordinators, and
 * the workers of its own DJC_HOME), counts lost and duplicated records in a
 * result, and appends each test's figures to .test-results/chaos.jsonl
 * (scripts/test-summary.mjs prints them as a table at the end of a run).
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBackend } from '../../../core/src/backends/open.js';
import { djcStart, processesUsing, ROOT, sleep, waitFor, workerPids, type CliResult } from '../helpers.js';

/** One line of .test-results/chaos.jsonl. */
export interface ChaosFigures {
  test: string;
  backend: 'local' | 'aws';
  tasks: number;
  records: number;
  /** Records of the input missing from the result. */
  lost: number;
  /** Records present more than once in the result (each extra copy counts). */
  duplicated: number;
  /** Attempts started over all tasks (tasks when nothing was re-run). */
  attempts: number;
  workerKills: number;
  coordinatorKills: number;
  /** Per leader kill: seconds from its SIGKILL to another coordinator marking the job. */
  takeoverSeconds: number[];
}

export const CHAOS_RESULTS = join(ROOT, '.test-results', 'chaos.jsonl');

export function recordFigures(f: ChaosFigures): void {
  mkdirSync(join(ROOT, '.test-results'), { recursive: true });
  appendFileSync(CHAOS_RESULTS, `${JSON.stringify({ ...f, at: new Date().toISOString() })}\n`);
}

/** Lost and duplicated values of `field` in a JSONL result, against 0..n-1. */
export function exactness(file: string, n: number, field = 'n'): { lost: number; duplicated: number; foreign: number } {
  const seen = new Uint32Array(n);
  let foreign = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const v = (JSON.parse(line) as Record<string, unknown>)[field];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < n) seen[v] = (seen[v] ?? 0) + 1;
    else foreign++;
  }
  let lost = 0;
  let duplicated = 0;
  for (const c of seen) {
    if (c === 0) lost++;
    else duplicated += c - 1;
  }
  return { lost, duplicated, foreign };
}

/**
 * Reads the job record as djc stores it (the test's own backend, opened in
 * this process). The AWS SDK reads credentials and endpoints from
 * process.env, so `env` is set there for the read and restored after it.
 */
export async function readJob(env: Record<string, string>, jobId: string) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const backend = await openBackend({}, process.env);
    try {
      return await backend.state.getJob(jobId);
    } finally {
      await backend.close();
    }
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The pid in a coordinator owner string ("djc coordinator on HOST (pid N)"), or null. */
export function ownerPid(owner: string | undefined): number | null {
  const m = owner ? /\(pid (\d+)\)/.exec(owner) : null;
  return m ? Number(m[1]) : null;
}

export interface Coordinators {
  /** The live coordinator processes this harness started, oldest first. */
  live(): ChildProcess[];
  /** SIGKILLs the coordinator that marks `jobId` now (the leader); returns its pid and when. */
  killLeader(jobId: string): Promise<{ pid: number; at: number }>;
  /** Stops every coordinator it started (SIGTERM, then SIGKILL), and stops restarting them. */
  stop(): Promise<void>;
  /** Everything the coordinators wrote on stderr, for failure messages. */
  stderr(): string;
  /** How many "tasks reclaimed" warnings about `jobId` the coordinators printed (every one's whole stderr; after stop()). */
  reclaims(jobId: string): number;
}

/**
 * Keeps `count` coordinators (`djc coordinator ...args`) for one home: a
 * leader and standbys. A coordinator that exits (refused while another
 * holds the lock, or killed) is started again after `restartMs`, so a
 * standby is always waiting: a real standby once `djc coordinator` waits
 * for the lock itself, a restart loop until then.
 */
export function keepCoordinators(
  args: string[], opts: { cwd: string; home: string; env: Record<string, string>; count?: number; restartMs?: number },
): Coordinators {
  const running = new Set<ReturnType<typeof djcStart>>();
  let stopped = false;
  let log = '';
  /** The whole stderr of every coordinator that ended (`log` keeps only its tail). */
  const ended: string[] = [];
  const slot = async () => {
    while (!stopped) {
      const c = djcStart(['coordinator', ...args], { cwd: opts.cwd, home: opts.home, env: opts.env });
      running.add(c);
      const r: CliResult = await c.done;
      running.delete(c);
      ended.push(r.stderr);
      log = `${log}${r.stderr}`.slice(-20_000);
      if (!stopped) await sleep(opts.restartMs ?? 500);
    }
  };
  const slots = Array.from({ length: opts.count ?? 2 }, (_, i) => sleep(i * 300).then(slot));
  return {
    live: () => [...running].map((c) => c.child).filter((c) => c.exitCode === null && c.signalCode === null),
    async killLeader(jobId) {
      const pid = await waitFor('a leader marking the job', async () => {
        const owner = ownerPid((await readJob(opts.env, jobId))?.coordinator?.owner);
        return owner !== null && [...running].some((c) => c.child.pid === owner) ? owner : null;
      }, 60_000);
      process.kill(pid, 'SIGKILL');
      return { pid, at: Date.now() };
    },
    async stop() {
      stopped = true;
      for (const c of running) c.child.kill('SIGTERM');
      const all = Promise.all([...running].map((c) => c.done));
      const late = setTimeout(() => { for (const c of running) c.child.kill('SIGKILL'); }, 15_000);
      await all;
      clearTimeout(late);
      await Promise.all(slots);
    },
    stderr: () => `${log}${[...running].map((c) => c.stderr()).join('')}`,
    reclaims: (jobId) => [...ended, ...[...running].map((c) => c.stderr())].join('').split('\n').filter((l) => l.includes('tasks reclaimed') && l.includes(jobId)).length,
  };
}

/** Seconds from `killedAt` until a coordinator other than `killedPid` marks the job. */
export async function takeoverSeconds(env: Record<string, string>, jobId: string, killedPid: number, killedAt: number): Promise<number> {
  const seenAt = await waitFor('another coordinator marking the job', async () => {
    const job = await readJob(env, jobId);
    const c = job?.coordinator;
    if (!c) return null;
    return ownerPid(c.owner) !== killedPid && c.seenAt >= killedAt ? c.seenAt : null;
  }, 90_000);
  return Math.round((seenAt - killedAt) / 100) / 10;
}

/**
 * SIGKILLs a random worker of `home` every `everyMs` until stopped; only
 * processes whose environment names this test's DJC_HOME (its own).
 * Keeps at least `keep` workers alive so the job is not killed outright.
 */
export function killWorkersEvery(home: string, everyMs: number, keep = 1): { stop(): Promise<number> } {
  let kills = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs);
      if (stopped) break;
      const pids = workerPids(home);
      if (pids.length <= keep) continue;
      const victim = pids[Math.floor(Math.random() * pids.length)] as number;
      try {
        process.kill(victim, 'SIGKILL');
        kills++;
      } catch {
        // exited meanwhile
      }
    }
  })();
  return { async stop() { stopped = true; await loop; return kills; } };
}

/** Whether any process of this home is still alive (workers, coordinators). */
export function anyLeft(home: string): boolean {
  return processesUsing(home).length > 0;
}

/**
 * The PID of a worker of `home`: in its id (`host:pid:hex`) when it chose
 * its own, else (`host:local:hex`, named by the local dispatcher) the
 * process started with `--worker-id <id>`.
 */
export function workerPid(home: string, workerId: string): number {
  const m = /:(\d+):[0-9a-f]+$/.exec(workerId);
  if (m) return Number(m[1]);
  const pid = workerPids(home).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(workerId));
  if (pid === undefined) throw new Error(`no live worker ${workerId}`);
  return pid;
}

/**
 * A module handler (`gated.mjs#echo`) that echoes its records after `ms`;
 * a batch whose first record has n ≥ `from` first waits for the file
 * `gate`. The test opens the gate once its leader kills are done, so they
 * land while the job runs however loaded the machine is.
 */
export function writeGatedHandler(dir: string, opts: { ms: number; from: number }): { open(): void } {
  const gate = join(dir, 'gate');
  writeFileSync(join(dir, 'gated.mjs'), `import { existsSync } from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function echo(records) {
  if (records[0].n >= ${opts.from}) while (!existsSync(${JSON.stringify(gate)})) await sleep(50);
  await sleep(${opts.ms});
  return records;
}
`);
  return { open: () => writeFileSync(gate, '') };
}
