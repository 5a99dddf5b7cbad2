import { describe, expect, it } from 'vitest';
import { allocateBinding, freeBinding, initialBindingState, packedIds, type BindingState } from './binding.js';
import type { WorkerResources } from './types.js';

const need = (cpus: number, gpus = 0, memoryBytes = 0): WorkerResources => ({ cpus, gpus, memoryBytes });

function take(state: BindingState, n: WorkerResources, pinnable = true) {
  const a = allocateBinding(state, n, pinnable);
  if (!a.ok) throw new Error(a.reason);
  return a;
}

describe('packedIds', () => {
  it.each([
    [[0, 1, 2, 3], 2, [0, 1]],
    [[0, 2, 3, 5], 2, [2, 3]],
    [[0, 2, 4, 6], 2, [0, 2]],
    [[1, 2, 4, 5, 6], 3, [4, 5, 6]],
    [[0, 1], 3, null],
  ])('from %j take %i → %j', (free, n, want) => {
    expect(packedIds(free, n)).toEqual(want);
  });
});

describe('allocateBinding / freeBinding', () => {
  const pool = initialBindingState({ cpuIds: [3, 0, 1, 2], gpuIds: [0, 1] });

  it('whole CPUs get that many ids, packed; the next worker gets the next ones', () => {
    const a = take(pool, need(2, 0, 512 * 1024 ** 2));
    expect(a.binding).toEqual({ cpuIds: [0, 1], gpuIds: [], memoryBytes: 512 * 1024 ** 2 });
    const b = take(a.state, need(2));
    expect(b.binding.cpuIds).toEqual([2, 3]);
    expect(b.binding.memoryBytes).toBeNull();
    expect(b.state.freeCpuIds).toEqual([]);
  });

  it('freed ids are reused, and packing prefers a run', () => {
    const a = take(pool, need(1));
    const b = take(a.state, need(1));
    const c = take(b.state, need(1));
    const freed = freeBinding(freeBinding(c.state, a.binding), c.binding); // frees 0 and 2; 3 is free too
    expect(freed.freeCpuIds).toEqual([0, 2, 3]);
    expect(take(freed, need(2)).binding.cpuIds).toEqual([2, 3]);
  });

  it('fractional CPUs get no pinning and take no ids', () => {
    const a = take(pool, need(0.5));
    expect(a.binding.cpuIds).toEqual([]);
    expect(a.state.freeCpuIds).toEqual([0, 1, 2, 3]);
    expect(take(pool, need(1.5)).binding.cpuIds).toEqual([]);
  });

  it('a pool that does not pin gives no CPU ids', () => {
    expect(take(pool, need(2), false).binding.cpuIds).toEqual([]);
  });

  it('GPUs by id', () => {
    const a = take(pool, need(1, 1));
    expect(a.binding.gpuIds).toEqual([0]);
    const b = take(a.state, need(1, 1));
    expect(b.binding.gpuIds).toEqual([1]);
    expect(allocateBinding(b.state, need(1, 1), true)).toEqual({ ok: false, reason: 'needs 1 gpus, 0 free' });
  });

  it('too few free CPU ids is refused with the numbers, and changes nothing', () => {
    const a = take(pool, need(3));
    expect(allocateBinding(a.state, need(2), true)).toEqual({ ok: false, reason: 'needs 2 cpu ids, 1 free' });
    expect(pool.freeCpuIds).toEqual([0, 1, 2, 3]);
  });

  it('freeing twice does not duplicate ids', () => {
    const a = take(pool, need(2, 1));
    const once = freeBinding(a.state, a.binding);
    expect(freeBinding(once, a.binding)).toEqual(pool);
  });
});
