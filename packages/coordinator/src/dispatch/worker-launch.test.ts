// applyBinding with real child processes: what the started process sees of its binding.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { localPool } from '../scheduler/local-pool.js';
import { applyBinding, bindRunning, launchHost, type WorkerLaunch } from './worker-launch.js';

/** A child that prints its CPU mask and the binding's env as JSON. */
const probe: WorkerLaunch = {
  argv: [process.execPath, '-e', `
    const s = require('node:fs').readFileSync('/proc/self/status', 'utf8');
    console.log(JSON.stringify({
      cpus: /Cpus_allowed_list:\\s*(\\S+)/.exec(s)[1],
      cuda: process.env.CUDA_VISIBLE_DEVICES ?? null,
      memory: process.env.DJC_WORKER_MEMORY ?? null,
      kept: process.env.KEPT ?? null,
    }));`],
  env: { ...process.env, KEPT: 'yes' },
};

function runLaunch(l: WorkerLaunch): { cpus: string; cuda: string | null; memory: string | null; kept: string | null } {
  const [cmd, ...args] = l.argv;
  const env = Object.fromEntries(Object.entries(l.env).filter((e): e is [string, string] => e[1] !== undefined));
  return JSON.parse(execFileSync(cmd as string, args, { env, encoding: 'utf8' })) as never;
}

const ids = localPool().cpuIds;
const last = ids[ids.length - 1] as number;

describe('applyBinding on this machine', () => {
  it('pins the process to its CPU ids (taskset) and passes GPUs and memory in the env', () => {
    const bound = applyBinding({ cpuIds: [last], gpuIds: [1, 3], memoryBytes: 256 * 1024 * 1024 }, probe);
    expect(bound.argv.slice(0, 3)).toEqual([launchHost().taskset, '-c', String(last)]);
    expect(bound.notes).toEqual([]);
    expect(runLaunch(bound)).toEqual({ cpus: String(last), cuda: '1,3', memory: String(256 * 1024 * 1024), kept: 'yes' });
  });

  it('without a binding nothing changes: all allowed CPUs, no new env', () => {
    const plain = applyBinding(null, probe);
    expect(plain.argv).toEqual(probe.argv);
    const seen = runLaunch(plain);
    expect(seen).toMatchObject({ cuda: process.env.CUDA_VISIBLE_DEVICES ?? null, memory: null, kept: 'yes' });
    expect(seen.cpus).toBe(execFileSync('sh', ['-c', "grep Cpus_allowed_list /proc/self/status | cut -f2"], { encoding: 'utf8' }).trim());
  });

  it('a fractional worker (no CPU ids) is not pinned; hideGpus hides the GPUs it did not ask for', () => {
    const l = applyBinding({ cpuIds: [], gpuIds: [], memoryBytes: null }, probe, { hideGpus: true });
    expect(l.argv).toEqual(probe.argv);
    expect(runLaunch(l)).toMatchObject({ cuda: '', memory: null });
  });
});

describe('applyBinding where CPU pinning is not available', () => {
  it('without taskset: argv unchanged, a note says why', () => {
    const l = applyBinding({ cpuIds: [0, 1, 2, 5], gpuIds: [], memoryBytes: null }, probe, { host: { platform: 'linux', taskset: null } });
    expect(l.argv).toEqual(probe.argv);
    expect(l.notes).toEqual(['taskset (util-linux) is not on PATH: worker not pinned to cpus 0-2,5']);
  });

  it('off Linux: argv unchanged, a note says why', () => {
    const l = applyBinding({ cpuIds: [0], gpuIds: [0], memoryBytes: 1024 }, probe, { host: { platform: 'darwin', taskset: null } });
    expect(l.argv).toEqual(probe.argv);
    expect(l.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '0', DJC_WORKER_MEMORY: '1024' });
    expect(l.notes).toEqual(['CPU pinning is not supported on darwin: worker not pinned to cpus 0']);
  });
});

describe('bindRunning: the same binding for a process that runs already (a warm worker)', () => {
  it('pins the running process and every thread it has (taskset -a -p), and hands the env over', async () => {
    const { spawn } = await import('node:child_process');
    // A process with threads (Node's), started unpinned, then bound.
    const child = spawn(process.execPath, ['-e', 'console.log("up"); setTimeout(() => {}, 30000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      // Up and running: its V8 and libuv threads exist.
      await new Promise((r) => child.stdout?.once('data', r));
      const pid = child.pid as number;
      const bound = bindRunning({ cpuIds: [last], gpuIds: [1], memoryBytes: 1024 }, pid, { hideGpus: true });
      expect(bound.pin).toEqual([launchHost().taskset, '-a', '-p', '-c', String(last), String(pid)]);
      expect(bound.env).toEqual({ CUDA_VISIBLE_DEVICES: '1', DJC_WORKER_MEMORY: '1024' });
      const [cmd, ...args] = bound.pin as string[];
      execFileSync(cmd as string, args, { stdio: 'ignore' });
      const { readdirSync, readFileSync } = await import('node:fs');
      const masks = readdirSync(`/proc/${pid}/task`).map((t) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1]);
      expect(masks.length).toBeGreaterThan(1);
      expect(new Set(masks)).toEqual(new Set([String(last)]));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('nothing to pin without CPU ids, or without a binding; the notes are applyBinding\'s', () => {
    expect(bindRunning({ cpuIds: [], gpuIds: [], memoryBytes: null }, 1, { hideGpus: true })).toEqual({ pin: null, env: { CUDA_VISIBLE_DEVICES: '' }, notes: [] });
    expect(bindRunning(null, 1)).toEqual({ pin: null, env: {}, notes: [] });
    const noTaskset = bindRunning({ cpuIds: [0], gpuIds: [], memoryBytes: null }, 1, { host: { platform: 'linux', taskset: null } });
    expect(noTaskset).toEqual({ pin: null, env: {}, notes: ['taskset (util-linux) is not on PATH: worker not pinned to cpus 0'] });
  });
});
