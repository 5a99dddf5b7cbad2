import { describe, expect, it } from 'vitest';
import { describePool, formatCpuList, localPool, parseCpuList, parseCpus, parseGpus, parseMemory, type HostProbe } from './local-pool.js';

const GiB = 1024 ** 3;

/** A machine described by its files: everything else is absent. */
function host(o: { cpus?: number; mem?: number; files?: Record<string, string>; smi?: string; nvidiaDir?: string[] }): HostProbe {
  const files = o.files ?? {};
  return {
    availableParallelism: () => o.cpus ?? 4,
    totalmem: () => o.mem ?? 16 * GiB,
    readFile: (p) => files[p] ?? null,
    readDir: (p) => (p === '/proc/driver/nvidia/gpus' ? o.nvidiaDir ?? null : null),
    nvidiaSmiList: () => o.smi ?? null,
  };
}

describe('localPool detection', () => {
  it('takes the affinity mask, the machine memory and no GPUs on a plain machine', () => {
    const p = localPool({}, host({ files: { '/proc/self/status': 'Name:\tnode\nCpus_allowed_list:\t0-3,6\n' } }));
    expect(p.capacity).toEqual({ pool: 'local', cpus: 5, memoryBytes: 16 * GiB, gpus: 0, maxWorkers: Infinity });
    expect(p.cpuIds).toEqual([0, 1, 2, 3, 6]);
    expect(p.gpuIds).toEqual([]);
  });

  it('falls back to availableParallelism ids without /proc', () => {
    expect(localPool({}, host({ cpus: 3 })).cpuIds).toEqual([0, 1, 2]);
  });

  it('respects a cgroup v2 cpu.max quota and memory.max', () => {
    const p = localPool({}, host({
      cpus: 8,
      files: {
        '/proc/self/cgroup': '0::/job.slice\n',
        '/sys/fs/cgroup/job.slice/cpu.max': '250000 100000\n',
        '/sys/fs/cgroup/job.slice/memory.max': `${4 * GiB}\n`,
      },
    }));
    expect(p.capacity.cpus).toBe(2.5);
    expect(p.cpuIds).toEqual([0, 1]);
    expect(p.capacity.memoryBytes).toBe(4 * GiB);
  });

  it('ignores "max" (v2) and the v1 no-limit value', () => {
    const v2 = localPool({}, host({ files: { '/sys/fs/cgroup/cpu.max': 'max 100000', '/sys/fs/cgroup/memory.max': 'max' } }));
    expect(v2.capacity.cpus).toBe(4);
    expect(v2.capacity.memoryBytes).toBe(16 * GiB);
    const v1 = localPool({}, host({
      files: {
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712',
      },
    }));
    expect(v1.capacity.cpus).toBe(4);
    expect(v1.capacity.memoryBytes).toBe(16 * GiB);
  });

  it('respects a cgroup v1 quota and memory limit', () => {
    const p = localPool({}, host({
      files: {
        '/proc/self/cgroup': '4:memory:/box\n1:cpu,cpuacct:/box\n0::/\n',
        '/sys/fs/cgroup/cpu,cpuacct/box/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu,cpuacct/box/cpu.cfs_period_us': '100000',
        '/sys/fs/cgroup/memory/box/memory.limit_in_bytes': String(GiB),
      },
    }));
    expect(p.capacity.cpus).toBe(1);
    expect(p.capacity.memoryBytes).toBe(GiB);
  });

  it('lists GPUs from nvidia-smi -L, else from /proc/driver/nvidia/gpus', () => {
    const smi = 'GPU 0: NVIDIA A100 (UUID: GPU-aa)\nGPU 1: NVIDIA A100 (UUID: GPU-bb)\n';
    expect(localPool({}, host({ smi })).gpuIds).toEqual([0, 1]);
    expect(localPool({}, host({ nvidiaDir: ['0000:01:00.0', '0000:02:00.0', '0000:03:00.0'] })).capacity.gpus).toBe(3);
  });

  it('this machine: at least one CPU id, memory > 0', () => {
    const p = localPool();
    expect(p.cpuIds.length).toBeGreaterThan(0);
    expect(p.capacity.cpus).toBeGreaterThan(0);
    expect(p.capacity.memoryBytes).toBeGreaterThan(0);
  });
});

describe('localPool overrides', () => {
  const machine = host({ cpus: 4, smi: 'GPU 0: x\nGPU 1: y\nGPU 2: z\n' });

  it('--cpus below the machine pins to the first ids; above it pins no one and says why', () => {
    expect(localPool({ cpus: '2' }, machine).cpuIds).toEqual([0, 1]);
    const big = localPool({ cpus: 16, memory: '64GiB' }, machine);
    expect(big.capacity.cpus).toBe(16);
    expect(big.capacity.memoryBytes).toBe(64 * GiB);
    expect(big.cpuIds).toEqual([]);
    expect(big.notes[0]).toContain('capacity of 16 cpus is more than the 4');
  });

  it('--gpus as ids or a count', () => {
    expect(localPool({ gpus: '0,2' }, machine).gpuIds).toEqual([0, 2]);
    expect(localPool({ gpus: '2' }, machine).gpuIds).toEqual([0, 1]);
    expect(localPool({ gpus: 0 }, machine).capacity.gpus).toBe(0);
    expect(localPool({ gpus: [3] }, machine).gpuIds).toEqual([3]);
  });
});

describe('override parsing', () => {
  it.each([
    ['abc', '--cpus: expected a number of CPUs greater than 0, found "abc"'],
    ['0', '--cpus: expected a number of CPUs greater than 0, found "0"'],
    ['-2', '--cpus: expected a number of CPUs greater than 0, found "-2"'],
  ])('--cpus %s is a usage error naming the flag', (v, msg) => {
    expect(() => parseCpus(v)).toThrow(msg);
  });

  it('accepts fractional cpus', () => expect(parseCpus('1.5')).toBe(1.5));

  it('memory in core size units, errors name the flag (or the settings key)', () => {
    expect(parseMemory('64GiB')).toBe(64 * GiB);
    expect(parseMemory('512M')).toBe(512 * 1024 ** 2);
    expect(() => parseMemory('lots')).toThrow('--memory: expected a size of at least 1MiB such as "64GiB" or "512MiB", found "lots"');
    expect(() => parseMemory('12', 'capacity.memory in /tmp/d.yaml')).toThrow(/^capacity.memory in \/tmp\/d.yaml: expected/);
  });

  it('gpus: count, ids, one id with a trailing comma; bad ids are refused', () => {
    expect(parseGpus('1,0')).toEqual([0, 1]);
    expect(parseGpus('3,')).toEqual([3]);
    expect(parseGpus('2', '--gpus', [4, 5, 6])).toEqual([4, 5]);
    expect(() => parseGpus('0,a')).toThrow('--gpus: expected a GPU count (2) or comma-separated GPU ids (0,1), found "0,a"');
    expect(() => parseGpus([1, 1])).toThrow('--gpus: expected distinct GPU ids');
  });

  it('errors are USAGE (exit 2) with a hint', () => {
    try {
      parseCpus('x');
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'USAGE', hint: 'e.g. --cpus 16' });
    }
  });
});

describe('cpu lists', () => {
  it('parses and formats Cpus_allowed_list / taskset -c syntax', () => {
    expect(parseCpuList('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('3-1')).toBeNull();
    expect(parseCpuList('x')).toBeNull();
    expect(formatCpuList([8, 0, 1, 2, 5, 7])).toBe('0-2,5,7-8');
    expect(formatCpuList([])).toBe('');
  });
});

describe('describePool', () => {
  it('says the capacity in words for the daemon\'s start-up line', () => {
    const machine = host({ cpus: 4, smi: 'GPU 0: x\nGPU 1: y\n' });
    expect(describePool(localPool({}, machine))).toBe('4 cpus on cpus 0-3, 16GiB memory, 2 gpus (0,1)');
    expect(describePool(localPool({ cpus: 8, memory: '1.5GiB', gpus: 0 }, machine))).toBe('8 cpus, 1.5GiB memory, 0 gpus');
  });
});
