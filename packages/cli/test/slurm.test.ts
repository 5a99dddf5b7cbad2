/**
 * dispatcher: slurm (and external) end to end, on the REAL local Slurm
 * cluster (scripts/slurm/up.sh: one node `localhost`, partition `debug` with
 * MaxTime 12:00:00, no accounting). Like the other e2e files these drive the
 * built CLI as a user does and check what a user checks: output, exit codes,
 * error messages, and what squeue/scontrol say about the job's arrays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyExample, djc, djcStart, generate, leakedProcesses, makeSandbox, readJsonl, sleep, waitFor, workerPids, type CliResult } from './helpers.js';
import { assertSlurmUp, LIVE_STATES, liveSlurmJobsUnder, run, scancelQuietly, scontrolShowJob, slurmJobsNamed, squeueTasks } from './slurm-helpers.js';

/** The coordinator looks at squeue this often (default 5 s). */
const POLL = { DJC_SLURM_POLL_MS: '500' };

let box: ReturnType<typeof makeSandbox>;
/** DJC_HOMEs whose processes must all be gone after the test. */
let homes: string[];
/** Slurm arrays the test saw: cancelled after it if still alive. */
let arrays: Set<string>;
/** Files that exist only if a shell interpreted a hostile value. */
let markers: string[];
/** Background processes the test started (coordinators, djc run, external workers). */
let children: ChildProcess[];

beforeAll(async () => {
  await assertSlurmUp();
});

beforeEach(() => {
  box = makeSandbox('djc-slurm-');
  homes = [box.home];
  arrays = new Set();
  markers = [];
  children = [];
});

afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  await scancelQuietly([...arrays, ...(await liveSlurmJobsUnder(box.dir))]);
  const leaked: number[] = [];
  for (const h of homes) leaked.push(...(await leakedProcesses(h, 20_000)));
  const pwned = markers.filter((m) => existsSync(m));
  for (const m of markers) rmSync(m, { force: true });
  box.cleanup();
  expect(leaked).toEqual([]);
  expect(pwned).toEqual([]);
});

interface Task { taskId: number; status: string; attempts: number; worker: string | null; error: string | null }
interface Workers {
  dispatcher: string;
  slurmJobIds: string[];
  groups: { state: string; reason: string | null; count: number }[];
  failures: { worker: string; reason: string; at: string }[];
  summary: string;
}
interface Status { jobId: string; status: string; error: string | null; tasks: { total: number; succeeded: number }; workers?: Workers }

function start(args: string[], opts: { home?: string; env?: Record<string, string> } = {}): ReturnType<typeof djcStart> {
  const s = djcStart(args, { cwd: box.dir, home: opts.home ?? box.home, env: { ...POLL, ...opts.env } });
  children.push(s.child);
  return s;
}

function cli(args: string[], opts: { home?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return djc(args, { cwd: box.dir, home: opts.home ?? box.home, env: POLL, timeoutMs: opts.timeoutMs });
}

async function status(jobId: string, args: string[] = []): Promise<Status> {
  const r = await cli([...args, 'status', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

async function tasks(jobId: string, args: string[] = []): Promise<Task[]> {
  const r = await cli([...args, 'tasks', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { tasks: Task[] }).tasks;
}

/** Waits until the coordinator has recorded the job's Slurm array(s); remembers them for cleanup. */
async function slurmArraysOf(jobId: string): Promise<string[]> {
  const ids = await waitFor(`the Slurm arrays of ${jobId}`, async () => {
    const s = await status(jobId);
    return s.workers && s.workers.slurmJobIds.length > 0 ? s.workers.slurmJobIds : undefined;
  }, 30_000);
  for (const id of ids) arrays.add(id);
  return ids;
}

async function jobIdOf(name: string): Promise<string> {
  return waitFor(`job ${name} listed`, async () => {
    const r = await cli(['list', '--json']);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as { jobs: { jobId: string; name: string }[] }).jobs.find((j) => j.name === name)?.jobId;
  });
}

/** `djc coordinator` in the background, once it says it runs. */
async function coordinator(): Promise<ReturnType<typeof djcStart>> {
  const d = start(['coordinator', '--verbose']);
  let err = '';
  d.child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  await waitFor('the coordinator to start', async () => err.includes('coordinator running') || d.child.exitCode !== null, 20_000);
  expect(d.child.exitCode).toBeNull();
  return d;
}

/** What the coordinator logged so far (it runs with --verbose), for an assertion's message. */
async function daemonLog(d: ReturnType<typeof djcStart>): Promise<string> {
  return d.stderr();
}

async function stopCoordinator(d: ReturnType<typeof djcStart>): Promise<void> {
  d.child.kill('SIGTERM');
  const r = await d.done;
  expect(r.code, r.stderr).toBe(0);
}

function numbers(n: number): void {
  writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
}

/** A module handler that takes `ms` per batch and echoes its records. */
function slowHandler(ms: number): void {
  writeFileSync(join(box.dir, 'slow.mjs'),
    `export async function echo(records, ctx) { await new Promise((r) => setTimeout(r, ${ms})); return records; }\n`);
}

/**
 * Like slowHandler, but a batch also waits while the file `hold` exists, so
 * the test can keep a worker's attempt from finishing.
 */
function holdingHandler(ms: number): string {
  const hold = join(box.dir, 'hold');
  writeFileSync(join(box.dir, 'slow.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  const t0 = Date.now();
  while (Date.now() - t0 < ${ms} || existsSync(${JSON.stringify(hold)})) await new Promise((r) => setTimeout(r, 50));
  return records;
}
`);
  return hold;
}

function job(name: string, body: string): string {
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${body}`);
  return file;
}

function expectEveryNumberOnce(file: string, n: number): void {
  const got = (readJsonl(file) as { n: number }[]).map((x) => x.n);
  expect(got.length).toBe(n);
  expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

/** The independent computation of examples.test.ts: count the words of the whole file in one pass. */
function wordCounts(reviews: string): Map<string, number> {
  const expected = new Map<string, number>();
  for (const line of readFileSync(reviews, 'utf8').split('\n')) {
    if (!line) continue;
    for (const w of (JSON.parse(line) as { text: string }).text.toLowerCase().split(/\s+/)) {
      if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
    }
  }
  return expected;
}

function expectWordcount(out: string, reviews: string): void {
  const got = readJsonl(out) as { word: string; count: number }[];
  expect(new Map(got.map((g) => [g.word, g.count]))).toEqual(wordCounts(reviews));
  const counts = got.map((g) => g.count);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
}

describe('dispatcher: slurm on the local cluster', () => {
  it('wordcount through `djc coordinator`: one array of 4 workers, the exact result, status and worker logs', async () => {
    const ex = copyExample('wordcount', box.dir);
    await generate(ex, 100_000); // 20 batches of 5000
    const daemon = await coordinator();

    const sub = await cli(['submit', join(ex, 'slurm.yaml')]);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    expect(jobId).toMatch(/^wordcount-/);
    const [arrayId] = await slurmArraysOf(jobId);

    const w = await cli(['wait', jobId]);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    expect(w.stdout).toContain('SUCCEEDED');

    // One array for the job, as Slurm sees it and as djc recorded it.
    expect(await slurmJobsNamed(`djc-${jobId}`)).toEqual([arrayId]);
    const s = await status(jobId);
    expect(s.status).toBe('SUCCEEDED');
    expect(s.tasks).toMatchObject({ total: 20, succeeded: 20 });
    expect(s.workers?.dispatcher).toBe('slurm');
    expect(s.workers?.slurmJobIds).toEqual([arrayId]);
    expect(s.workers?.groups.reduce((n, g) => n + g.count, 0)).toBe(4);
    expect(s.workers?.failures).toEqual([]);

    // 4 array tasks: the worker count, not the 20 batches.
    const inSlurm = await squeueTasks([arrayId as string]);
    expect(inSlurm.map((t) => t.taskIndex).sort()).toEqual(['0', '1', '2', '3']);

    const ts = await tasks(jobId);
    expect(ts).toHaveLength(20);
    for (const t of ts) {
      expect(t.status).toBe('SUCCEEDED');
      expect(t.worker).toMatch(new RegExp(`^slurm:${arrayId}_[0-3]$`));
    }

    expectWordcount(join(ex, 'out/wordcount-slurm.jsonl'), join(ex, 'data/reviews.jsonl'));

    const human = await cli(['status', jobId]);
    expect(human.stdout).toMatch(new RegExp(`workers +slurm array ${arrayId}: `));

    const logs = await cli(['logs', jobId, '--workers']);
    expect(logs.code).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect(logs.stdout).toContain(`=== ${join(box.home, 'workers', jobId, `slurm-${arrayId}_${i}.log`)} ===`);
    }

    await stopCoordinator(daemon);
  });

  it('an array task cancelled mid-run: its task runs again elsewhere, the job succeeds with every record once', async () => {
    numbers(150);
    const hold = holdingHandler(1000);
    const file = job('scancelled', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute:
  dispatcher: slurm
  workers: 3
  slurm: { partition: debug, time: "00:10:00" }
output: { path: out.jsonl }
`);
    const runner = start(['run', file]);
    const jobId = await jobIdOf('scancelled');
    const runningOn = async (worker?: string) => {
      const r = await cli(['tasks', jobId, '--status', 'running', '--json']);
      if (r.code !== 0) return undefined;
      return (JSON.parse(r.stdout) as { tasks: Task[] }).tasks.find((t) => (worker ? t.worker === worker : t.worker?.startsWith('slurm:')));
    };
    const victim = (await waitFor('a task running on a Slurm worker', () => runningOn(), 90_000)).worker as string;
    const [, arrayId, index] = /^slurm:(\d+)_(\d+)$/.exec(victim) ?? [];
    expect(arrayId, victim).toBeDefined();
    arrays.add(arrayId as string);
    // Attempts cannot finish while `hold` exists: the one on the victim is
    // still running when Slurm kills it (SIGTERM, SIGKILL after KillWait).
    writeFileSync(hold, '');
    const held = await waitFor(`a task held on ${victim}`, () => runningOn(victim), 30_000);
    const c = await run('scancel', [`${arrayId}_${index}`]);
    expect(c.code, c.stderr).toBe(0);
    await waitFor(`Slurm to end ${arrayId}_${index}`, async () => {
      const t = (await squeueTasks([arrayId as string])).find((x) => x.taskIndex === index);
      return t && !LIVE_STATES.has(t.state);
    }, 30_000);
    rmSync(hold);

    const r = await runner.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCEEDED');
    expectEveryNumberOnce(join(box.dir, 'out.jsonl'), 150);

    const after = (await tasks(jobId)).find((t) => t.taskId === held.taskId) as Task;
    expect(after.status).toBe('SUCCEEDED');
    expect(after.attempts >= 2 || after.worker !== victim, `task ${after.taskId}: ${after.attempts} attempts, last on ${after.worker}`).toBe(true);
    expect(after.worker).not.toBe(victim);

    const s = await status(jobId);
    expect(s.status).toBe('SUCCEEDED');
    s.workers?.slurmJobIds.forEach((id) => arrays.add(id));
    const failure = s.workers?.failures.find((f) => f.worker === victim);
    expect(failure?.reason, JSON.stringify(s.workers)).toContain(`${arrayId}_${index}`);
    expect(failure?.reason).toContain('CANCELLED');
  });

  it('`djc cancel` stops the job and every array task, pending ones included', async () => {
    numbers(200);
    slowHandler(1000);
    const file = job('cancelme', `input: { path: numbers.jsonl, batch: { records: 5 } }
handler: { module: ./slow.mjs#echo }
compute:
  dispatcher: slurm
  workers: 3
  slurm: { partition: debug, time: "00:10:00", throttle: 2 }
output: { path: out.jsonl }
`);
    const daemon = await coordinator();
    const sub = await cli(['submit', file]);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    const ids = await slurmArraysOf(jobId);
    await waitFor('a running task', async () => {
      const r = await cli(['tasks', jobId, '--status', 'running', '--json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { tasks: unknown[] }).tasks.length > 0;
    }, 60_000);

    const c = await cli(['cancel', jobId]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('CANCELLED');
    const s = await status(jobId);
    expect(s.status).toBe('CANCELLED');

    const ended = await waitFor('every array task of the job ended', async () => {
      const rows = await squeueTasks(ids);
      return rows.length > 0 && rows.every((t) => !LIVE_STATES.has(t.state)) ? rows : undefined;
    }, 15_000);
    for (const t of ended) expect(['CANCELLED', 'COMPLETED'], JSON.stringify(t)).toContain(t.state);
    await waitFor('the workers gone', async () => workerPids(box.home).length === 0, 15_000);

    // The job stays cancelled; the coordinator does not start new workers for it.
    await sleep(1500);
    expect((await status(jobId)).status).toBe('CANCELLED');
    expect(await slurmJobsNamed(`djc-${jobId}`), await daemonLog(daemon)).toEqual([...ids].sort());
    await stopCoordinator(daemon);
  });

  it('a deadline that passes: the job ends TIMEOUT, djc wait exits 1, and every array task is scancelled', async () => {
    numbers(200);
    slowHandler(1000);
    const file = job('late', `input: { path: numbers.jsonl, batch: { records: 5 } }
handler: { module: ./slow.mjs#echo }
compute:
  dispatcher: slurm
  workers: 3
  slurm: { partition: debug, time: "00:10:00", throttle: 2 }
output: { path: out.jsonl }
deadline: 8s
`);
    const daemon = await coordinator();
    const sub = await cli(['submit', file]);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    const ids = await slurmArraysOf(jobId);
    const w = await cli(['wait', jobId, '--json']);
    expect(w.code).toBe(1);
    const doc = JSON.parse(w.stdout) as { status: string; error: string; tasks: { pending: number; running: number; cancelled: number } };
    expect(doc.status).toBe('TIMEOUT');
    expect(doc.error).toMatch(/^deadline 8s passed: /);
    expect(doc.tasks).toMatchObject({ pending: 0, running: 0 });
    expect(doc.tasks.cancelled).toBeGreaterThan(0);
    const ended = await waitFor('every array task of the job ended', async () => {
      const rows = await squeueTasks(ids);
      return rows.length > 0 && rows.every((t) => !LIVE_STATES.has(t.state)) ? rows : undefined;
    }, 15_000);
    for (const t of ended) expect(['CANCELLED', 'COMPLETED'], JSON.stringify(t)).toContain(t.state);
    await waitFor('the workers gone', async () => workerPids(box.home).length === 0, 15_000);
    await stopCoordinator(daemon);
  });

  describe('workers that cannot start: the job fails and says why', () => {
    it('a partition Slurm does not have: sbatch\'s own words', async () => {
      numbers(50);
      const file = job('nopart', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { dispatcher: slurm, workers: 2, slurm: { partition: nope } }
`);
      slowHandler(10);
      const r = await cli(['run', file], { timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('invalid partition specified: nope');
      expect(r.stdout).toContain('FAILED');
      const jobId = r.stdout.split(' ')[0] as string;
      const s = await status(jobId);
      expect(s.status).toBe('FAILED');
      expect(s.error).toContain('starting the workers failed: sbatch refused the worker array: sbatch: error: invalid partition specified: nope');
      expect(await slurmJobsNamed(`djc-${jobId}`)).toEqual([]);
    });

    it('a time limit over the partition\'s MaxTime: pending for ever (PartitionTimeLimit)', async () => {
      numbers(50);
      slowHandler(10);
      const file = job('toolong', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { dispatcher: slurm, workers: 2, slurm: { partition: debug, time: "1-00:00:00" } }
`);
      const r = await cli(['run', file], { timeoutMs: 90_000 });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('FAILED');
      expect(r.stdout).toContain('PartitionTimeLimit');
      const jobId = r.stdout.split(' ')[0] as string;
      const s = await status(jobId);
      expect(s.status).toBe('FAILED');
      expect(s.error).toMatch(/^Slurm will not start the workers: .*PartitionTimeLimit/);
      const ids = s.workers?.slurmJobIds ?? [];
      ids.forEach((id) => arrays.add(id));
      expect(ids).toHaveLength(1);
      // Nothing left pending in the queue.
      const rows = await squeueTasks(ids);
      expect(rows.filter((t) => LIVE_STATES.has(t.state))).toEqual([]);
      // The two never-started workers, cancelled together, are still two workers (not one "N/A" failure).
      expect(s.workers?.groups.reduce((n, g) => n + g.count, 0), JSON.stringify(s.workers)).toBe(2);
      expect(s.workers?.failures.some((f) => f.worker.includes('N/A')), JSON.stringify(s.workers)).toBe(false);
      // The user sees djc's message, not a stack trace.
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });

    it('array tasks Slurm fails at launch (JobLaunchFailure): "Slurm workers keep failing", in bounded time; djc retry after the fix succeeds', async () => {
      numbers(50);
      slowHandler(10);
      const later = join(box.dir, 'later');
      const file = job('nolaunch', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute:
  dispatcher: slurm
  workers: 2
  slurm: { partition: debug, time: "00:05:00", extra_args: [${JSON.stringify(`--output=${later}/x-%A_%a.log`)}] }
output: { path: out.jsonl }
`);
      const r = await cli(['run', file], { timeoutMs: 120_000 });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('FAILED');
      const jobId = r.stdout.split(' ')[0] as string;
      const s = await status(jobId);
      (s.workers?.slurmJobIds ?? []).forEach((id) => arrays.add(id));
      expect(s.status).toBe('FAILED');
      expect(s.error).toMatch(/^Slurm workers keep failing/);
      expect(s.error).toContain('JobLaunchFailure');
      expect(s.tasks.succeeded).toBe(0);
      const rows = await squeueTasks(s.workers?.slurmJobIds ?? []);
      expect(rows.filter((t) => LIVE_STATES.has(t.state))).toEqual([]);
      expect(rows.some((t) => t.state === 'FAILED' && t.reason === 'JobLaunchFailure')).toBe(true);

      // The cause fixed, `djc retry` runs the unfinished tasks on fresh workers:
      // the old arrays' failures (still listed by Slurm) do not count again.
      mkdirSync(later);
      const again = await cli(['retry', jobId], { timeoutMs: 120_000 });
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('SUCCEEDED');
      expectEveryNumberOnce(join(box.dir, 'out.jsonl'), 50);
      const after = await status(jobId);
      after.workers?.slurmJobIds.forEach((id) => arrays.add(id));
      expect(after.workers?.slurmJobIds.length).toBeGreaterThan(s.workers?.slurmJobIds.length ?? 0);
    });
  });

  it('hostile DJC_HOME, extra_args, description and labels are passed literally, never to a shell', async () => {
    const tag = `/tmp/djc-pwned-${randomBytes(4).toString('hex')}`;
    markers = [1, 2, 3, 4, 5, 6, 7].map((i) => `${tag}-${i}`);
    const [m1, m2, m3, m4, m5, m6, m7] = markers as [string, string, string, string, string, string, string];
    // A space, both quotes, $HOME, a backtick and a $(…) command, and a newline.
    const home = join(box.dir, `we ird'q"$HOME\`touch ${m1}\`$(touch ${m2})\nline`, '.djc');
    mkdirSync(home, { recursive: true });
    homes.push(home);
    const comment = `it's "q" $HOME \`touch ${m3}\` $(touch ${m4})\nnext line`;
    numbers(200);
    slowHandler(100);
    const file = job('hostile', `description: ${JSON.stringify(`it's "q" $HOME \`touch ${m5}\` $(touch ${m6})`)}
labels: { team: ${JSON.stringify(`$(touch ${m7})`)} }
input: { path: numbers.jsonl, batch: { records: 20 } }
handler: { module: ./slow.mjs#echo }
compute:
  dispatcher: slurm
  workers: 2
  slurm: { partition: debug, time: "00:10:00", extra_args: [${JSON.stringify(`--comment=${comment}`)}] }
output: { path: out.jsonl }
`);
    const r = await cli(['--home', home, 'run', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCEEDED');
    expectEveryNumberOnce(join(box.dir, 'out.jsonl'), 200);

    const jobId = r.stdout.split(' ')[0] as string;
    expect(jobId).toMatch(/^hostile-/);
    const s = await status(jobId, ['--home', home]);
    const ids = s.workers?.slurmJobIds ?? [];
    ids.forEach((id) => arrays.add(id));
    expect(ids).toHaveLength(1);
    const arrayId = ids[0] as string;
    // The workers reached the state in that home: they ran the tasks and wrote their logs there.
    for (const t of await tasks(jobId, ['--home', home])) expect(t.worker).toMatch(new RegExp(`^slurm:${arrayId}_[01]$`));
    const logs = await cli(['--home', home, 'logs', jobId, '--workers']);
    expect(logs.stdout).toContain(`=== ${join(home, 'workers', jobId, `slurm-${arrayId}_0.log`)} ===`);

    expect(await scontrolShowJob(arrayId)).toContain(`Comment=${comment}`);
    for (const m of markers) expect(existsSync(m), m).toBe(false);
  });

  it('dispatcher: external: djc starts nothing; the printed worker command, run twice, finishes the job', async () => {
    numbers(300);
    slowHandler(50);
    const file = job('outside', `input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./slow.mjs#echo }
compute: { dispatcher: external, workers: 2 }
output: { path: out.jsonl }
`);
    const daemon = await coordinator();

    const sub = await cli(['submit', file, '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    const doc = JSON.parse(sub.stdout) as { jobId: string; status: string; worker?: { argv: string[]; env: Record<string, string>; command: string } };
    const command = doc.worker?.command as string;
    expect(command).toContain(`--job ${doc.jobId}`);

    // Nothing runs the job's tasks until someone starts workers.
    await sleep(2000);
    const waiting = await status(doc.jobId);
    expect(['SUBMITTED', 'PREPARING', 'RUNNING']).toContain(waiting.status);
    expect(waiting.tasks.succeeded).toBe(0);
    expect(workerPids(box.home)).toEqual([]);
    const human = await cli(['status', doc.jobId]);
    expect(human.stdout).toContain('external');

    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('DJC_')) delete env[k];
    const workers = [0, 1].map(() => {
      const child = spawn('sh', ['-c', command], { cwd: box.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
      return new Promise<{ code: number | null; err: string }>((res) => child.on('close', (code) => res({ code, err })));
    });
    const ended = await Promise.all(workers);
    for (const e of ended) expect(e.code, e.err).toBe(0);
    const w = await cli(['wait', doc.jobId]);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    expectEveryNumberOnce(join(box.dir, 'out.jsonl'), 300);

    // The human submit prints the command on stderr, the job id on stdout.
    const second = await cli(['submit', file]);
    expect(second.code, second.stderr).toBe(0);
    const secondId = second.stdout.trim();
    expect(second.stderr).toContain('djc: start workers for this job');
    expect(second.stderr).toMatch(new RegExp(`\\n {2}env DJC_BACKEND=local DJC_HOME=\\S+ \\S+ --max-semi-space-size=\\d+ \\S+worker/dist/bin\\.js --job ${secondId}\\n`));
    expect((await cli(['cancel', secondId])).code).toBe(0);

    await stopCoordinator(daemon);
  });
});
