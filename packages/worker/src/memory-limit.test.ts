import { describe, expect, it } from 'vitest';
import { JobConfigSchema } from '@djc/core/schemas';
import { attemptMemory, workerMemoryFromEnv } from './memory-limit.js';

const MiB = 1024 * 1024;

function cfg(compute: Record<string, unknown>) {
  return JobConfigSchema.parse({ name: 'm', input: { path: '/tmp/in.txt' }, handler: { command: 'cat' }, compute });
}

describe('attemptMemory', () => {
  it.each([
    ['nothing set: no limits', {}, 1, undefined, { heapSource: 'compute.memory' }],
    ['resources.memory on a local job: heap and command limit', { resources: { memory: '512MiB' } }, 1, undefined,
      { heapBytes: 512 * MiB, heapSource: 'compute.resources.memory', command: { bytes: 512 * MiB, source: 'compute.resources.memory' } }],
    ['shared by the slots', { resources: { memory: '512MiB' } }, 4, undefined,
      { heapBytes: 128 * MiB, heapSource: 'compute.resources.memory / 4 slots', command: { bytes: 128 * MiB, source: 'compute.resources.memory / 4 slots' } }],
    ['compute.memory keeps the heap limit', { memory: '256MiB', resources: { memory: '1GiB' } }, 1, undefined,
      { heapBytes: 256 * MiB, heapSource: 'compute.memory', command: { bytes: 1024 * MiB, source: 'compute.resources.memory' } }],
    ['DJC_WORKER_MEMORY wins', { resources: { memory: '1GiB' } }, 1, 64 * MiB,
      { heapBytes: 64 * MiB, heapSource: 'DJC_WORKER_MEMORY', command: { bytes: 64 * MiB, source: 'DJC_WORKER_MEMORY' } }],
    ['DJC_WORKER_MEMORY carrying the job\'s own value names the job\'s key', { resources: { memory: '64MiB' } }, 1, 64 * MiB,
      { heapBytes: 64 * MiB, heapSource: 'compute.resources.memory', command: { bytes: 64 * MiB, source: 'compute.resources.memory' } }],
    ['a slurm job is limited only by DJC_WORKER_MEMORY', { dispatcher: 'slurm', resources: { memory: '1GiB' } }, 1, undefined, { heapSource: 'compute.memory' }],
  ])('%s', (_what, compute, slots, env, want) => {
    expect(attemptMemory(cfg(compute), slots, env)).toEqual(want);
  });
});

describe('workerMemoryFromEnv', () => {
  it('reads bytes or a size; unset is no limit; garbage is a usage error', () => {
    expect(workerMemoryFromEnv({})).toBeUndefined();
    expect(workerMemoryFromEnv({ DJC_WORKER_MEMORY: '1048576' })).toBe(MiB);
    expect(workerMemoryFromEnv({ DJC_WORKER_MEMORY: '2GiB' })).toBe(2048 * MiB);
    expect(() => workerMemoryFromEnv({ DJC_WORKER_MEMORY: 'lots' })).toThrow('DJC_WORKER_MEMORY: expected a size such as "512MiB" or a number of bytes, found "lots"');
  });
});
