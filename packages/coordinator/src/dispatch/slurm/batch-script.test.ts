import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { shellQuote, workerInvocation, workerShellLine } from '../worker-command.js';
import type { ResourcesConfig } from '@djc/core';
import { batchScript, planArrays, sbatchArgs, slurmLiteralPath } from './batch-script.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** Values that run a command, expand a variable or end a quote if a shell ever interprets them. */
function hostile(marker: string): string[] {
  return [
    `it's "quoted" $HOME \${PATH} \`touch ${marker}-1\` $(touch ${marker}-2)`,
    `new\nline; touch ${marker}-3 #`,
    `back\\slash '\\'' '' %A_%a`,
    '',
  ];
}

describe('batchScript', () => {
  it('passes hostile job ids, argv and env values to the worker literally', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'djc-script-'));
    dirs.push(dir);
    const marker = join(dir, 'pwned');
    const [a, b, c, d] = hostile(marker) as [string, string, string, string];
    // The "worker" prints its argv and env as JSON.
    const printer = 'console.log(JSON.stringify({ argv: process.argv.slice(1), env: { A: process.env.DJC_A, B: process.env.DJC_B, C: process.env.DJC_C, D: process.env.DJC_D } }))';
    const script = batchScript(workerInvocation([process.execPath, '-e', printer, '--', a], b, { DJC_A: a, DJC_B: b, DJC_C: c, DJC_D: d }));
    const out = await run('/bin/sh', ['-c', script, 'sbatch-script'], {
      env: { PATH: process.env.PATH, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '3' },
    });
    expect(JSON.parse(out.stdout)).toEqual({
      argv: [a, '--job', b, '--worker-id', 'slurm:77_3'],
      env: { A: a, B: b, C: c, D: d },
    });
    for (const i of [1, 2, 3]) expect(existsSync(`${marker}-${i}`)).toBe(false);
  });

  it('skips env names a shell cannot export instead of writing them into the script', () => {
    const script = batchScript(workerInvocation(['djc-worker'], 'j', { 'BAD-NAME;touch x': 'v', GOOD: 'v' }));
    expect(script).toContain("export GOOD=v\n");
    expect(script).not.toContain('BAD-NAME');
  });
});

describe('shellQuote and workerShellLine', () => {
  it('round-trips any value through sh', async () => {
    for (const v of hostile('/nonexistent/pwned')) {
      const out = await run('/bin/sh', ['-c', `printf %s ${shellQuote(v)}`]);
      expect(out.stdout).toBe(v);
    }
  });

  it('prints env assignments before the argv, quoting only what needs it', () => {
    expect(workerShellLine(workerInvocation(['/usr/bin/node', '/opt/djc/bin.js'], 'wc-1', { DJC_BACKEND: 'local', DJC_HOME: "/data/it's" })))
      .toBe("env DJC_BACKEND=local DJC_HOME='/data/it'\\''s' /usr/bin/node /opt/djc/bin.js --job wc-1");
  });
});

describe('sbatchArgs', () => {
  it('maps compute.slurm to sbatch options, extra_args last so they win, and escapes % in the log path', () => {
    const args = sbatchArgs(
      { partition: 'gpu', account: 'lab', qos: null, time: '01:00:00', cpus_per_task: 4, mem: '8G', gres: 'gpu:1', constraint: 'a100', extra_args: ['--comment=$HOME `x`', '--partition=other'] },
      { jobName: 'djc-wc-1', logDir: '/home/u/100%/.djc/workers/wc-1', array: '0-9%2' },
    );
    expect(args).toEqual([
      '--parsable', '--job-name=djc-wc-1', '--array=0-9%2', '--output=/home/u/100%%/.djc/workers/wc-1/slurm-%A_%a.log',
      '--kill-on-invalid-dep=yes', '--partition=gpu', '--account=lab', '--time=01:00:00', '--cpus-per-task=4', '--mem=8G',
      '--gres=gpu:1', '--constraint=a100', '--comment=$HOME `x`', '--partition=other',
    ]);
    expect(slurmLiteralPath('%j%%')).toBe('%%j%%%%');
  });

  const plan = { jobName: 'djc-r-1', logDir: '/tmp/w', array: '0-1' };
  const resourceArgs = (cfg: Parameters<typeof sbatchArgs>[0], r: Partial<ResourcesConfig>) =>
    sbatchArgs(cfg, plan, { cpus: 1, gpus: 0, ...r }).filter((a) => /^--(cpus-per-task|mem|gres)=/.test(a));

  it.each([
    ['defaults: nothing added (Slurm gives one CPU)', {}, []],
    ['cpus, memory in MiB rounded up, gpus', { cpus: 4, memory: 3 * 1024 ** 3 + 1, gpus: 2 }, ['--cpus-per-task=4', '--mem=3073M', '--gres=gpu:2']],
    ['a fraction of a CPU is rounded up to a whole one', { cpus: 2.5 }, ['--cpus-per-task=3']],
    ['half a CPU is Slurm\'s default one', { cpus: 0.5, memory: 512 * 1024 ** 2 }, ['--mem=512M']],
  ])('compute.resources → sbatch: %s', (_what, r, want) => {
    expect(resourceArgs(undefined, r)).toEqual(want);
  });

  it('compute.slurm cpus_per_task, mem and gres override compute.resources; gres: null asks for no GPU', () => {
    const r = { cpus: 4, memory: 1024 ** 3, gpus: 1 };
    expect(resourceArgs({ cpus_per_task: 8, mem: '16G', gres: 'gpu:a100:1', extra_args: [] }, r)).toEqual(['--cpus-per-task=8', '--mem=16G', '--gres=gpu:a100:1']);
    expect(resourceArgs({ gres: null, extra_args: [] }, r)).toEqual(['--cpus-per-task=4', '--mem=1024M']);
  });
});

describe('planArrays', () => {
  const specs = (w: number, max: number, t?: number) => planArrays(w, max, t).map((c) => c.spec);

  it('makes one array of the worker count when the cluster allows it', () => {
    expect(specs(50, 1001)).toEqual(['0-49']);
    expect(specs(1, 1001)).toEqual(['0']);
    expect(specs(1001, 1001, 10)).toEqual(['0-1000%10']);
    expect(specs(4, 1001, 8)).toEqual(['0-3']);
  });

  it('splits beyond MaxArraySize, every chunk starting at index 0, the throttle shared out', () => {
    const plan = planArrays(2500, 1001, 100);
    expect(plan.map((c) => c.count)).toEqual([1001, 1001, 498]);
    expect(plan.map((c) => c.spec)).toEqual(['0-1000%40', '0-1000%40', '0-497%20']);
    expect(specs(3, 2)).toEqual(['0-1', '0']);
    // A throttle below the chunk count still lets every chunk run one.
    expect(specs(3, 1, 1)).toEqual(['0', '0', '0']);
  });
});
