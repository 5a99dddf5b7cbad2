/**
 * The local pool: what this machine can hold at once (CPUs, memory, GPUs),
 * as detected or as `djc coordinator --cpus/--memory/--gpus` (or the daemon
 * settings file) declare it, plus the CPU ids and GPU ids workers may be
 * bound to (scheduler/binding.ts).
 *
 * Detection respects what this process is allowed to use, not only what the
 * machine has: the CPU affinity mask (os.availableParallelism), a cgroup CPU
 * quota (v2 cpu.max, v1 cpu.cfs_quota_us) and a cgroup memory limit (v2
 * memory.max, v1 memory.limit_in_bytes). GPUs come from `nvidia-smi -L`, else
 * /proc/driver/nvidia/gpus/*.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { DjcError, formatSize, parseSize } from '@djc/core/read';
import type { PoolCapacity } from './types.js';

/** The local pool's capacity and the ids its workers can be bound to. */
export interface LocalPool {
  capacity: PoolCapacity;
  /**
   * CPU ids workers asking whole CPUs are pinned to (ascending). Empty when
   * the declared CPUs exceed the CPUs this process may use (no pinning then).
   */
  cpuIds: number[];
  /** GPU ids a worker's CUDA_VISIBLE_DEVICES is chosen from (ascending). */
  gpuIds: number[];
  /** Things the daemon should log once (e.g. why workers are not pinned). */
  notes: string[];
}

/** Raw override values, as given on the command line or in the daemon settings file. */
export interface CapacityOverrides {
  cpus?: string | number;
  memory?: string | number;
  /** A count (2, "2"), or ids ("0,1", [0, 1]). */
  gpus?: string | number | number[];
}

/** What the machine offers; injectable so detection is unit-tested. */
export interface HostProbe {
  availableParallelism(): number;
  totalmem(): number;
  /** A file's text, or null when it cannot be read. */
  readFile(path: string): string | null;
  /** Entries of a directory, or null. */
  readDir(path: string): string[] | null;
  /** `nvidia-smi -L` output, or null when it is absent or fails. */
  nvidiaSmiList(): string | null;
}

export const hostProbe: HostProbe = {
  availableParallelism,
  totalmem,
  readFile: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  },
  readDir: (p) => {
    try {
      return readdirSync(p);
    } catch {
      return null;
    }
  },
  nvidiaSmiList: () => {
    try {
      return execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    } catch {
      return null;
    }
  },
};

/**
 * The local pool as detected, with overrides applied. `source` names where
 * the overrides come from in errors: "--cpus" style flags by default, or e.g.
 * "capacity.cpus in /etc/djc.yaml" via `names`.
 */
export function localPool(
  overrides: CapacityOverrides = {},
  probe: HostProbe = hostProbe,
  names: { cpus: string; memory: string; gpus: string } = { cpus: '--cpus', memory: '--memory', gpus: '--gpus' },
): LocalPool {
  const allowedIds = allowedCpuIds(probe);
  const detectedCpus = Math.min(allowedIds.length, cgroupCpuQuota(probe) ?? Infinity);
  const cpus = overrides.cpus === undefined ? detectedCpus : parseCpus(overrides.cpus, names.cpus);
  const memoryBytes = overrides.memory === undefined ? detectMemory(probe) : parseMemory(overrides.memory, names.memory);
  const detectedGpus = detectGpuIds(probe);
  const gpuIds = overrides.gpus === undefined ? detectedGpus : parseGpus(overrides.gpus, names.gpus, detectedGpus);
  const notes: string[] = [];
  let cpuIds = allowedIds.slice(0, Math.max(0, Math.floor(cpus)));
  if (cpus > allowedIds.length) {
    cpuIds = [];
    notes.push(`capacity of ${cpus} cpus is more than the ${allowedIds.length} this process may use: workers are not pinned to CPUs`);
  }
  return { capacity: { pool: 'local', cpus, memoryBytes, gpus: gpuIds.length, maxWorkers: Infinity }, cpuIds, gpuIds, notes };
}

/** "0-3,8,10-11" (Cpus_allowed_list, taskset -c) → [0,1,2,3,8,10,11]; null if malformed. */
export function parseCpuList(text: string): number[] | null {
  const ids = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65_536) return null;
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

/** [0,1,2,3,8] → "0-3,8" (for taskset -c and messages). */
export function formatCpuList(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The CPU ids this process may run on (its affinity mask), else 0..n-1. */
function allowedCpuIds(probe: HostProbe): number[] {
  const status = probe.readFile('/proc/self/status');
  const line = status ? /^Cpus_allowed_list:\s*(.+)$/m.exec(status) : null;
  const ids = line ? parseCpuList(line[1] as string) : null;
  if (ids && ids.length > 0) return ids;
  return Array.from({ length: Math.max(1, probe.availableParallelism()) }, (_, i) => i);
}

/** The cgroup's directories this process is in: v2 unified path, and v1 per controller. */
function cgroupDirs(probe: HostProbe, controller: 'cpu' | 'memory'): { v2: string[]; v1: string[] } {
  const v2: string[] = [];
  const v1: string[] = [];
  for (const line of (probe.readFile('/proc/self/cgroup') ?? '').split('\n')) {
    const [, ctrls, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (ctrls === '') v2.push(`/sys/fs/cgroup${path}`, `/sys/fs/cgroup/unified${path}`);
    else if ((ctrls as string).split(',').includes(controller)) v1.push(`/sys/fs/cgroup/${ctrls}${path}`, `/sys/fs/cgroup/${controller}${path}`);
  }
  // Inside a container the cgroup root is often the container's own.
  v2.push('/sys/fs/cgroup');
  v1.push(`/sys/fs/cgroup/${controller}`);
  return { v2, v1 };
}

/** CPUs a cgroup CPU quota allows (may be fractional), or null without one. */
function cgroupCpuQuota(probe: HostProbe): number | null {
  const dirs = cgroupDirs(probe, 'cpu');
  for (const dir of dirs.v2) {
    const m = /^(max|\d+)\s+(\d+)/.exec(probe.readFile(`${dir}/cpu.max`)?.trim() ?? '');
    if (m) return m[1] === 'max' ? null : Number(m[1]) / Number(m[2]);
  }
  for (const dir of dirs.v1) {
    const quota = Number(probe.readFile(`${dir}/cpu.cfs_quota_us`)?.trim() ?? NaN);
    const period = Number(probe.readFile(`${dir}/cpu.cfs_period_us`)?.trim() ?? NaN);
    if (Number.isFinite(quota) && Number.isFinite(period)) return quota > 0 && period > 0 ? quota / period : null;
  }
  return null;
}

/** os.totalmem(), or a smaller cgroup memory limit. */
function detectMemory(probe: HostProbe): number {
  const total = probe.totalmem();
  const dirs = cgroupDirs(probe, 'memory');
  const limits = [
    ...dirs.v2.map((d) => probe.readFile(`${d}/memory.max`)),
    ...dirs.v1.map((d) => probe.readFile(`${d}/memory.limit_in_bytes`)),
  ];
  for (const text of limits) {
    const n = Number(text?.trim());
    // "max" (v2) and the v1 "no limit" value (~2^63) are above the machine's memory.
    if (text !== null && Number.isFinite(n) && n > 0) return Math.min(total, n);
  }
  return total;
}

function detectGpuIds(probe: HostProbe): number[] {
  const smi = probe.nvidiaSmiList();
  if (smi !== null) {
    return [...smi.matchAll(/^GPU (\d+):/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  }
  const count = (probe.readDir('/proc/driver/nvidia/gpus') ?? []).length;
  return Array.from({ length: count }, (_, i) => i);
}

function usage(name: string, found: unknown, expected: string, example: string): DjcError {
  return new DjcError('USAGE', `${name}: expected ${expected}, found ${JSON.stringify(found)}`, { hint: `e.g. ${name} ${example}` });
}

/** `--cpus 16` (fractions allowed, e.g. 1.5). */
export function parseCpus(v: string | number, name = '--cpus'): number {
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 65_536) throw usage(name, v, 'a number of CPUs greater than 0', '16');
  return n;
}

/** `--memory 64GiB` (core's size units; a bare number is bytes). */
export function parseMemory(v: string | number, name = '--memory'): number {
  const n = parseSize(v);
  if (n === null || n < 1024 * 1024) throw usage(name, v, 'a size of at least 1MiB such as "64GiB" or "512MiB"', '64GiB');
  return n;
}

/**
 * `--gpus 2` (a count: the first 2 detected ids, else 0 and 1) or
 * `--gpus 0,1` (the ids CUDA_VISIBLE_DEVICES may name; one id: `--gpus 3,`).
 */
export function parseGpus(v: string | number | number[], name = '--gpus', detected: readonly number[] = []): number[] {
  if (Array.isArray(v)) {
    if (v.every((x) => Number.isInteger(x) && x >= 0) && new Set(v).size === v.length) return [...v].sort((a, b) => a - b);
    throw usage(name, v, 'distinct GPU ids (integers ≥ 0)', '0,1');
  }
  const text = String(v).trim();
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count > 1024) throw usage(name, v, 'a GPU count up to 1024, or GPU ids such as 0,1', '2');
    return count <= detected.length ? detected.slice(0, count) : Array.from({ length: count }, (_, i) => i);
  }
  const parts = text.replace(/,$/, '').split(',').map((s) => s.trim());
  if (parts.length === 0 || !parts.every((p) => /^\d+$/.test(p))) throw usage(name, v, 'a GPU count (2) or comma-separated GPU ids (0,1)', '0,1');
  return parseGpus(parts.map(Number), name);
}

/** "16 cpus, 64GiB, 2 gpus (0,1)": the capacity in words, for the daemon's start-up log line. */
export function describePool(p: LocalPool): string {
  const gpus = p.gpuIds.length > 0 ? `${p.gpuIds.length} gpus (${p.gpuIds.join(',')})` : '0 gpus';
  const pinned = p.cpuIds.length > 0 ? ` on cpus ${formatCpuList(p.cpuIds)}` : '';
  return `${p.capacity.cpus} cpus${pinned}, ${formatSize(p.capacity.memoryBytes)} memory, ${gpus}`;
}
