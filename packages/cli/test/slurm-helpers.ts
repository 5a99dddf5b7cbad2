/**
 * What a user of the local Slurm cluster checks by hand (scontrol, squeue,
 * scancel), for the e2e tests of dispatcher: slurm. Slurm's commands run as
 * argv, never through a shell.
 */
import { execFile } from 'node:child_process';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell); never rejects. */
export function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && typeof err.code !== 'number' ? err.message : '')) });
    });
  });
}

/** Throws with the way to start the cluster unless `scontrol ping` says UP. */
export async function assertSlurmUp(): Promise<void> {
  const r = await run('scontrol', ['ping'], 10_000);
  if (r.code !== 0 || !/\bUP\b/.test(r.stdout)) {
    throw new Error(
      `the local Slurm cluster is not reachable (scontrol ping: exit ${r.code}: ${(r.stdout + r.stderr).trim() || 'no output'}); ` +
      'start it with `bash scripts/slurm/up.sh` as root, then run these tests again',
    );
  }
}

/** One array task as squeue lists it. */
export interface SlurmTask {
  arrayJobId: string;
  /** "3", or "N/A" for an array whose tasks never started. */
  taskIndex: string;
  state: string;
  reason: string;
}

/** Every array task of these (array) jobs, ended ones included while Slurm still lists them. */
export async function squeueTasks(ids: readonly string[]): Promise<SlurmTask[]> {
  if (ids.length === 0) return [];
  const r = await run('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-O', 'ArrayJobID:0|,ArrayTaskID:0|,State:0|,Reason:0']);
  if (r.code !== 0) {
    if (/Invalid job id/i.test(r.stderr)) return [];
    throw new Error(`squeue failed: ${r.stderr.trim()}`);
  }
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [arrayJobId = '', taskIndex = '', state = '', reason = ''] = l.trim().split('|');
    return { arrayJobId, taskIndex, state, reason };
  });
}

/** Ids of the (array) jobs Slurm lists under this job name, e.g. "djc-<jobId>". */
export async function slurmJobsNamed(name: string): Promise<string[]> {
  const r = await run('squeue', ['-h', '-t', 'all', `--name=${name}`, '-O', 'ArrayJobID:0']);
  if (r.code !== 0) throw new Error(`squeue --name failed: ${r.stderr.trim()}`);
  return [...new Set(r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== ''))].sort();
}

/** States in which an array task has not ended. */
export const LIVE_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);

/** scancel of arrays a test saw, best effort (cleanup: they may have ended long ago). */
export async function scancelQuietly(ids: Iterable<string>): Promise<void> {
  const list = [...ids].filter((id) => /^\d+(_\d+)?$/.test(id));
  if (list.length === 0) return;
  const live = (await squeueTasks(list).catch(() => [])).filter((t) => LIVE_STATES.has(t.state));
  if (live.length > 0) await run('scancel', list);
}

/**
 * Array job ids of the live (pending or running) Slurm jobs whose working
 * directory is under `dir`: djc submits each array from its job's log
 * directory under DJC_HOME, so this finds a test's arrays even when the test
 * failed before it learnt their ids.
 */
export async function liveSlurmJobsUnder(dir: string): Promise<string[]> {
  const r = await run('squeue', ['-h', '-t', 'PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED', '-O', 'ArrayJobID:0|,WorkDir:0']);
  if (r.code !== 0) return [];
  const ids = new Set<string>();
  // A path may hold a newline: continuation lines do not start with "<id>|".
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+)\|(.*)$/.exec(line);
    if (m && (m[2] === dir || (m[2] as string).startsWith(`${dir}/`))) ids.add(m[1] as string);
  }
  return [...ids];
}

/** `scontrol show job ID` as printed (one block per array task). */
export async function scontrolShowJob(id: string): Promise<string> {
  const r = await run('scontrol', ['show', 'job', id]);
  if (r.code !== 0) throw new Error(`scontrol show job ${id} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
