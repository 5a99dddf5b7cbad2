/**
 * The Slurm commands djc runs (sbatch, squeue, scancel, scontrol, sacct), as
 * argv without a shell, with their output parsed. Errors quote what Slurm
 * said.
 */
import { DjcError } from '@djc/core';

/** One array task as Slurm reports it. */
export interface ArrayTaskState {
  arrayJobId: string;
  /**
   * The array index, e.g. "4"; not a number for a record that stands for
   * several tasks (Slurm lists pending tasks cancelled together as one
   * record with index "N/A").
   */
  taskIndex: string;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, … */
  state: string;
  /** Slurm's reason (Resources, Priority, NonZeroExitCode, …), or null for "None". */
  reason: string | null;
  /** Exit code of the batch script, or null while it runs. */
  exitCode: number | null;
  /** Signal that ended it, or null. */
  signal: number | null;
  node: string | null;
}

/** States in which an array task will not run again. */
export const ENDED_STATES = new Set([
  'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'SPECIAL_EXIT', 'REVOKED',
]);

export interface SlurmCli {
  /** Runs sbatch with the script on stdin; returns the (array) job id. */
  submit(args: readonly string[], script: string, cwd: string): Promise<string>;
  /** Every array task of these jobs, ended ones included while Slurm still lists them (MinJobAge). */
  queue(arrayJobIds: readonly string[]): Promise<ArrayTaskState[]>;
  /** Final states from accounting (sacct), or null when the cluster keeps none. */
  accounting(arrayJobIds: readonly string[]): Promise<ArrayTaskState[] | null>;
  /** scancel; with pendingOnly, only the array tasks that have not started. */
  cancel(arrayJobIds: readonly string[], opts?: { pendingOnly?: boolean }): Promise<void>;
  /** The cluster's MaxArraySize (array indices run 0..MaxArraySize-1). */
  maxArraySize(): Promise<number>;
  /** Ids of this user's jobs with this name that Slurm still lists. */
  findByName(jobName: string): Promise<string[]>;
}

const SQUEUE_FORMAT = 'ArrayJobID:0|,ArrayTaskID:0|,State:0|,Reason:0|,exit_code:0|,NodeList:0';

export function createSlurmCli(): SlurmCli {
  return {
    async submit(args, script, cwd) {
      const r = await run('sbatch', args, { input: script, cwd });
      if (r.exitCode !== 0) {
        throw new DjcError('USAGE', `sbatch refused the worker array: ${slurmSaid(r)}`, {
          hint: 'check compute.slurm in the job file (partition, account, qos, time, extra_args) against `sinfo` and your site\'s limits',
        });
      }
      const id = r.stdout.trim().split(';')[0] ?? '';
      if (!/^\d+$/.test(id)) throw new DjcError('INTERNAL', `sbatch --parsable printed ${JSON.stringify(r.stdout.trim())}, not a job id`);
      return id;
    },

    async queue(ids) {
      if (ids.length === 0) return [];
      const r = await run('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-O', SQUEUE_FORMAT]);
      // Every id forgotten (MinJobAge passed, or never existed): nothing listed.
      if (r.exitCode !== 0 && /Invalid job id/i.test(r.stderr)) return [];
      if (r.exitCode !== 0) throw new DjcError('BACKEND_UNAVAILABLE', `squeue failed: ${slurmSaid(r)}`);
      return r.stdout.split('\n').filter((l) => l.trim() !== '').map(parseSqueueLine).filter((t): t is ArrayTaskState => t !== null);
    },

    async accounting(ids) {
      if (ids.length === 0) return [];
      const r = await run('sacct', ['-n', '-P', '-X', '-j', ids.join(','), '--format=JobID,State,ExitCode,NodeList']);
      if (r.exitCode !== 0) return null; // accounting storage is disabled, or no slurmdbd
      return r.stdout.split('\n').filter((l) => l.trim() !== '').map(parseSacctLine).filter((t): t is ArrayTaskState => t !== null);
    },

    async cancel(ids, opts = {}) {
      if (ids.length === 0) return;
      const r = await run('scancel', [...(opts.pendingOnly ? ['--state=PENDING'] : []), ...ids]);
      if (r.exitCode !== 0 && !/Invalid job id|already completing or completed/i.test(r.stderr)) {
        throw new DjcError('BACKEND_UNAVAILABLE', `scancel ${ids.join(' ')} failed: ${slurmSaid(r)}`);
      }
    },

    async maxArraySize() {
      const r = await run('scontrol', ['show', 'config']);
      if (r.exitCode !== 0) throw new DjcError('BACKEND_UNAVAILABLE', `scontrol show config failed: ${slurmSaid(r)}`);
      const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(r.stdout);
      return m ? Number(m[1]) : 1001;
    },

    async findByName(jobName) {
      const user = process.env.USER ?? process.env.LOGNAME;
      const r = await run('squeue', ['-h', '-t', 'all', `--name=${jobName}`, '-o', '%F', ...(user ? ['-u', user] : [])]);
      if (r.exitCode !== 0) return [];
      return [...new Set(r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)))];
    },
  };
}

interface Ran { exitCode: number; stdout: string; stderr: string }

async function run(cmd: string, args: readonly string[], o: { input?: string; cwd?: string } = {}): Promise<Ran> {
  try {
    // execa is loaded at the first Slurm command: every `djc run` imports this file (through the dispatchers), and loading execa cost ~25 ms of its CPU.
    const { execa } = await import('execa');
    const r = await execa(cmd, args, { reject: false, input: o.input, cwd: o.cwd, timeout: 60_000, stripFinalNewline: false });
    if (r.failed && r.exitCode === undefined) throw r;
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { shortMessage?: string };
    if (err.code === 'ENOENT') {
      throw new DjcError('USAGE', `${cmd} is not installed or not on PATH: dispatcher "slurm" needs Slurm's commands where the coordinator runs`, {
        hint: 'run the coordinator on a Slurm login node, or start a local cluster with scripts/slurm/up.sh',
      });
    }
    throw new DjcError('BACKEND_UNAVAILABLE', `${cmd} failed: ${err.shortMessage ?? err.message}`);
  }
}

function slurmSaid(r: Ran): string {
  const text = (r.stderr.trim() || r.stdout.trim() || `exit code ${r.exitCode}`).replace(/\s*\n\s*/g, '; ');
  return text.slice(0, 600);
}

/** `46|4|FAILED|NonZeroExitCode|768|node1` → an ArrayTaskState. */
export function parseSqueueLine(line: string): ArrayTaskState | null {
  const [arrayJobId, taskIndex, state, reason, raw, node] = line.trim().split('|');
  if (!arrayJobId || !taskIndex || !state) return null;
  const status = raw === undefined || raw === '' ? null : Number(raw);
  const ended = ENDED_STATES.has(state);
  return {
    arrayJobId,
    taskIndex,
    state,
    reason: reason && reason !== 'None' ? reason : null,
    // exit_code is a raw wait status: a signal in the low 7 bits, else the exit code in the high byte.
    exitCode: ended && status !== null && Number.isFinite(status) && (status & 0x7f) === 0 ? (status >> 8) & 0xff : null,
    signal: ended && status !== null && Number.isFinite(status) && (status & 0x7f) !== 0 ? status & 0x7f : null,
    node: node && node !== '' && node !== '(null)' ? node : null,
  };
}

/** `46_4|FAILED|1:0|node1` → an ArrayTaskState (sacct's ExitCode is "code:signal"). */
export function parseSacctLine(line: string): ArrayTaskState | null {
  const [jobId, stateWords, exit, node] = line.trim().split('|');
  const m = /^(\d+)_(\d+)$/.exec(jobId ?? '');
  if (!m || !stateWords) return null;
  const state = stateWords.split(' ')[0] as string; // "CANCELLED by 0"
  const [code, sig] = (exit ?? '').split(':').map(Number);
  return {
    arrayJobId: m[1] as string,
    taskIndex: m[2] as string,
    state,
    reason: null,
    exitCode: Number.isFinite(code) ? (code as number) : null,
    signal: sig ? sig : null,
    node: node || null,
  };
}
