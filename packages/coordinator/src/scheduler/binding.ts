/**
 * Which CPU ids and GPU ids a local worker gets. The scheduler reserves
 * amounts (cpus, memory, gpus) against the pool's capacity; this assigns the
 * ids within them, so two workers never share a pinned CPU or a GPU. Pure:
 * the state is a value, allocate and free return a new one.
 *
 * - A worker asking whole CPUs (cpus: 2) gets that many CPU ids, packed: the
 *   first run of adjacent free ids if there is one, else the lowest free ids.
 * - A worker asking a fraction (cpus: 0.5, 1.5) is not pinned (no mask: it
 *   may run on any CPU; the capacity still counts its share).
 * - A pool with no CPU ids (its declared CPUs exceed the machine's) pins no one.
 * - GPUs are always by id: gpus: 2 gets two free GPU ids.
 */
import type { WorkerResources } from './types.js';

/** What one local worker is bound to; worker-launch.ts applies it. */
export interface LocalBinding {
  /** CPU ids it is pinned to; empty: not pinned. */
  cpuIds: number[];
  /** GPU ids it sees (CUDA_VISIBLE_DEVICES); empty: none. */
  gpuIds: number[];
  /** Its memory limit in bytes (compute.resources.memory); null: none. */
  memoryBytes: number | null;
}

/** The ids of the local pool that no worker holds. */
export interface BindingState {
  freeCpuIds: number[];
  freeGpuIds: number[];
}

/** All ids free: the state of a pool with no workers. */
export function initialBindingState(pool: { cpuIds: readonly number[]; gpuIds: readonly number[] }): BindingState {
  return { freeCpuIds: sortedUnique(pool.cpuIds), freeGpuIds: sortedUnique(pool.gpuIds) };
}

export type Allocation =
  | { ok: true; binding: LocalBinding; state: BindingState }
  /** Not enough free ids (the caller's accounting and the ids disagree): start the worker later. */
  | { ok: false; reason: string };

/**
 * Ids for one worker needing `need`. `pinnable`: does the pool pin CPUs at
 * all (false when it has no CPU ids)? Whole CPUs in a pinning pool, and GPUs,
 * must be free as ids, or the allocation fails with the numbers.
 */
export function allocateBinding(state: BindingState, need: WorkerResources, pinnable: boolean): Allocation {
  const wholeCpus = Number.isInteger(need.cpus) && need.cpus > 0 && pinnable;
  const cpuIds = wholeCpus ? packedIds(state.freeCpuIds, need.cpus) : [];
  if (cpuIds === null) return { ok: false, reason: `needs ${need.cpus} cpu ids, ${state.freeCpuIds.length} free` };
  const gpuIds = need.gpus > 0 ? packedIds(state.freeGpuIds, need.gpus) : [];
  if (gpuIds === null) return { ok: false, reason: `needs ${need.gpus} gpus, ${state.freeGpuIds.length} free` };
  return {
    ok: true,
    binding: { cpuIds, gpuIds, memoryBytes: need.memoryBytes > 0 ? need.memoryBytes : null },
    state: { freeCpuIds: without(state.freeCpuIds, cpuIds), freeGpuIds: without(state.freeGpuIds, gpuIds) },
  };
}

/** Gives a worker's ids back (idempotent: ids already free stay free once). */
export function freeBinding(state: BindingState, binding: LocalBinding): BindingState {
  return {
    freeCpuIds: sortedUnique([...state.freeCpuIds, ...binding.cpuIds]),
    freeGpuIds: sortedUnique([...state.freeGpuIds, ...binding.gpuIds]),
  };
}

/** `n` ids from `free` (ascending): the first run of n adjacent ids, else the n lowest; null if fewer than n. */
export function packedIds(free: readonly number[], n: number): number[] | null {
  if (free.length < n) return null;
  for (let i = 0; i + n <= free.length; i++) {
    if ((free[i + n - 1] as number) - (free[i] as number) === n - 1) return free.slice(i, i + n);
  }
  return free.slice(0, n);
}

function without(ids: readonly number[], taken: readonly number[]): number[] {
  const t = new Set(taken);
  return ids.filter((id) => !t.has(id));
}

function sortedUnique(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
