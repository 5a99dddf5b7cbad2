/**
 * The batch script and sbatch arguments of a job's worker array. Nothing a
 * user or the environment controls is ever interpreted by a shell: sbatch
 * options go to sbatch as argv (no #SBATCH lines), and the script holds only
 * single-quoted literals plus the two Slurm variables that name the array
 * task. Slurm's own filename patterns (%A, %a) are escaped in paths.
 */
import type { ResourcesConfig, SlurmConfig } from '@djc/core';
import { shellQuote, type WorkerInvocation } from '../worker-command.js';

/** The worker id of one array task; the dispatcher reclaims by it. */
export function slurmWorkerId(arrayJobId: string, taskIndex: number | string): string {
  return `slurm:${arrayJobId}_${taskIndex}`;
}

export function batchScript(w: WorkerInvocation): string {
  const exports = Object.entries(w.env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    '#!/bin/sh',
    '# Written by djc: one djc worker per array task; it exits when the job has no work left.',
    ...exports,
    `exec ${w.argv.map(shellQuote).join(' ')} --worker-id "slurm:\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
    '',
  ].join('\n');
}

/** Escapes Slurm's filename patterns (%j, %A, %a, …) so a path is taken literally. */
export function slurmLiteralPath(path: string): string {
  return path.replace(/%/g, '%%');
}

export interface SbatchPlan {
  /** e.g. "djc-wordcount-20261122-abcdef": how an array is found again by name. */
  jobName: string;
  /** Directory of the array tasks' stdout/stderr files (exists). */
  logDir: string;
  /** e.g. "0-49%10". */
  array: string;
}

/**
 * sbatch argv (without the script): --parsable first, the user's extra_args
 * last so they win. compute.resources becomes --cpus-per-task, --mem and
 * --gres=gpu:N (one array task is one worker); the compute.slurm keys
 * cpus_per_task, mem and gres override them (`gres: null`: no --gres).
 */
export function sbatchArgs(cfg: SlurmConfig | undefined, plan: SbatchPlan, resources?: ResourcesConfig): string[] {
  const c = { ...(cfg ?? { extra_args: [] }) };
  const r = resources ? slurmResources(resources) : {};
  c.cpus_per_task ??= r.cpus_per_task;
  c.mem ??= r.mem;
  if (c.gres === undefined) c.gres = r.gres;
  const out = `${slurmLiteralPath(plan.logDir)}/slurm-%A_%a.log`;
  const args = ['--parsable', `--job-name=${plan.jobName}`, `--array=${plan.array}`, `--output=${out}`, '--kill-on-invalid-dep=yes'];
  const opt = (flag: string, v: string | number | null | undefined) => {
    if (v !== undefined && v !== null && v !== '') args.push(`--${flag}=${v}`);
  };
  opt('partition', c.partition);
  opt('account', c.account);
  opt('qos', c.qos);
  opt('time', c.time);
  opt('cpus-per-task', c.cpus_per_task);
  opt('mem', c.mem);
  opt('gres', c.gres);
  opt('constraint', c.constraint);
  return [...args, ...(c.extra_args ?? [])];
}

/**
 * compute.resources as sbatch values: whole CPUs (a fraction is rounded up,
 * Slurm allocates whole CPUs; 1, its default, is left out), memory in MiB
 * rounded up, GPUs as a generic resource.
 */
export function slurmResources(r: ResourcesConfig): Pick<SlurmConfig, 'cpus_per_task' | 'mem' | 'gres'> {
  const cpus = Math.ceil(r.cpus);
  return {
    ...(cpus > 1 ? { cpus_per_task: cpus } : {}),
    ...(r.memory !== undefined ? { mem: `${Math.ceil(r.memory / (1024 * 1024))}M` } : {}),
    ...(r.gpus > 0 ? { gres: `gpu:${r.gpus}` } : {}),
  };
}

export interface ArrayChunk {
  /** The --array value, e.g. "0-999%20". */
  spec: string;
  /** Array tasks in this chunk. */
  count: number;
}

/**
 * Splits `workers` array tasks into as few arrays as the cluster allows.
 * MaxArraySize bounds the task *index* (indices 0..max-1), so each chunk
 * starts at 0. The throttle is shared out so all chunks together run at most
 * `throttle` tasks at once (at least one per chunk).
 */
export function planArrays(workers: number, maxArraySize: number, throttle?: number): ArrayChunk[] {
  const per = Math.max(1, maxArraySize);
  const chunks: ArrayChunk[] = [];
  for (let left = workers; left > 0; left -= per) chunks.push({ spec: '', count: Math.min(per, left) });
  let given = 0;
  chunks.forEach((c, i) => {
    let t: number | undefined;
    if (throttle !== undefined) {
      // A share of the throttle in proportion to the chunk (the last chunk gets the rest), at least 1.
      const share = i === chunks.length - 1 ? throttle - given : Math.floor((throttle * c.count) / workers);
      t = Math.max(1, Math.min(c.count, share));
      given += t;
    }
    c.spec = `${c.count === 1 ? '0' : `0-${c.count - 1}`}${t !== undefined && t < c.count ? `%${t}` : ''}`;
  });
  return chunks;
}
