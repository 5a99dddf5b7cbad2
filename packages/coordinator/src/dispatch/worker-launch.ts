/**
 * Applies a local worker's binding (scheduler/binding.ts) to the command
 * that starts it, on this OS:
 *
 * - CPU ids: `taskset -c <ids>` (util-linux) in front of the argv, on Linux.
 *   The mask is inherited by the worker's threads and by every command it
 *   starts. Without taskset (or off Linux, where no such tool exists) the
 *   worker is not pinned: the scheduler still counts its CPUs, and
 *   `notes` says why, for the daemon to log once.
 * - GPU ids: CUDA_VISIBLE_DEVICES=<ids>. A worker that asked for no GPU in a
 *   pool that has some gets CUDA_VISIBLE_DEVICES="" (`hideGpus`), so it cannot
 *   use the GPUs reserved for others.
 * - Memory: DJC_WORKER_MEMORY=<bytes>, which the worker applies itself (its
 *   module handler threads' heap limit, its command handlers' RLIMIT_DATA; see
 *   worker/src/memory-limit.ts): a limit on the worker process would also
 *   bound Node's own reservations and keep it from starting.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { formatCpuList } from '../scheduler/local-pool.js';

/** The environment variable that carries a worker's memory limit (bytes). */
export const WORKER_MEMORY_ENV = 'DJC_WORKER_MEMORY';

/**
 * What is applied: a LocalBinding (scheduler/binding.ts), or any binding
 * record with these fields (memoryBytes 0 or null: no limit).
 */
export interface BindingToApply {
  cpuIds: readonly number[];
  gpuIds: readonly number[];
  memoryBytes: number | null;
}

export interface WorkerLaunch {
  argv: string[];
  env: Record<string, string | undefined>;
}

/** What this machine offers to apply a binding. */
export interface LaunchHost {
  platform: NodeJS.Platform;
  /** Absolute path of taskset, or null when it is not on PATH. */
  taskset: string | null;
}

let cachedHost: LaunchHost | undefined;

/** This machine (taskset looked up on PATH once). */
export function launchHost(): LaunchHost {
  cachedHost ??= { platform: process.platform, taskset: process.platform === 'linux' ? findOnPath('taskset') : null };
  return cachedHost;
}

export interface AppliedLaunch extends WorkerLaunch {
  /** What could not be applied, in words (e.g. "taskset not found: not pinned"). */
  notes: string[];
}

/**
 * The argv and env that start a worker under `binding`. With no binding
 * (null/undefined) the launch is returned as it is.
 */
export function applyBinding(
  binding: BindingToApply | null | undefined,
  launch: WorkerLaunch,
  opts: { host?: LaunchHost; hideGpus?: boolean } = {},
): AppliedLaunch {
  if (!binding) return { argv: [...launch.argv], env: { ...launch.env }, notes: [] };
  const host = opts.host ?? launchHost();
  const notes: string[] = [];
  let argv = [...launch.argv];
  const env = { ...launch.env };
  if (binding.cpuIds.length > 0) {
    const cpus = formatCpuList(binding.cpuIds);
    if (host.platform !== 'linux') notes.push(`CPU pinning is not supported on ${host.platform}: worker not pinned to cpus ${cpus}`);
    else if (host.taskset === null) notes.push(`taskset (util-linux) is not on PATH: worker not pinned to cpus ${cpus}`);
    else argv = [host.taskset, '-c', cpus, ...argv];
  }
  if (binding.gpuIds.length > 0) env.CUDA_VISIBLE_DEVICES = binding.gpuIds.join(',');
  else if (opts.hideGpus) env.CUDA_VISIBLE_DEVICES = '';
  if (binding.memoryBytes !== null && binding.memoryBytes > 0) env[WORKER_MEMORY_ENV] = String(binding.memoryBytes);
  return { argv, env, notes };
}

/** How a binding is applied to a worker that runs already (a warm worker, warm-pool.ts). */
export interface RunningBinding {
  /** argv that pins the process and all its threads (`taskset -a -p -c <ids> <pid>`), or null: nothing to pin. */
  pin: string[] | null;
  /** What its environment gains (CUDA_VISIBLE_DEVICES, DJC_WORKER_MEMORY), set by the worker before its job's work starts. */
  env: Record<string, string>;
  notes: string[];
}

/**
 * The same binding as applyBinding, for a process that is already running:
 * the CPU mask is set on it (and every thread it has; threads and processes
 * it starts later inherit it) instead of prefixing its argv, and the
 * environment is handed over rather than set at its start.
 */
export function bindRunning(
  binding: BindingToApply | null | undefined, pid: number, opts: { host?: LaunchHost; hideGpus?: boolean } = {},
): RunningBinding {
  const applied = applyBinding(binding, { argv: [], env: {} }, opts);
  const env = Object.fromEntries(Object.entries(applied.env).filter((e): e is [string, string] => e[1] !== undefined));
  // applyBinding prefixed an empty argv with `taskset -c <ids>`: the same mask, applied to the running pid.
  const pin = applied.argv.length > 0 ? [applied.argv[0] as string, '-a', '-p', '-c', applied.argv[2] as string, String(pid)] : null;
  return { pin, env, notes: applied.notes };
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}
