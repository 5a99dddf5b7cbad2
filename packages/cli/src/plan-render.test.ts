import { describe, expect, it } from 'vitest';
import type { PipelinePlan, RunPlan } from '@djc/core';
import { renderPlan } from './plan-render.js';

const run = (over: Partial<RunPlan>): RunPlan => ({
  stage: 'clean', run: 'clean', point: null, action: 'run', reusedFrom: null, key: null, reasons: [], batches: { kind: 'from-upstream', upstreams: ['clean'] }, warnings: [], ...over,
});

describe('renderPlan', () => {
  it('one line per run with its action and batches, the reasons under it, then sweeps and the summary', () => {
    const plan: PipelinePlan = {
      pipeline: 'reviews', fresh: false,
      runs: [
        run({ action: 'reuse', reusedFrom: '01JCLEAN', batches: { kind: 'counted', batches: 1200, files: 2, bytes: 3 * 1024 * 1024 } }),
        run({ stage: 'stats', run: 'stats', reasons: [{ kind: 'handler', text: 'handler file stats.ts changed (sha 1a2b3c4d → 5e6f7a8b)' }] }),
        run({ stage: 'embed', run: 'embed', action: 'reuse', reusedFrom: '01JEMBED', batches: { kind: 'per-upstream-task', upstream: 'clean', batches: 1200 } }),
        run({ stage: 'train', run: 'train[lr=0.1]', point: { lr: 0.1 }, batches: { kind: 'from-upstream', upstreams: ['stats'] }, reasons: [{ kind: 'upstream', text: 'upstream stats will run' }], warnings: ['a command handler without handler.files: …'] }),
        run({ stage: 'train', run: 'train[lr=0.01]', point: { lr: 0.01 }, batches: { kind: 'error', message: 'input x.csv: no such file' }, reasons: [{ kind: 'none', text: 'no earlier run' }] }),
      ],
      sweeps: [{ stage: 'train', maxParallel: 2, toleratedFailure: { percent: 50 }, points: 2, runs: ['train[lr=0.1]', 'train[lr=0.01]'] }],
      summary: { runs: 5, reuse: 2, run: 3 },
    };
    expect(renderPlan(plan)).toBe([
      'RUN             ACTION          BATCHES',
      'clean           reuse 01JCLEAN  1,200 (2 files, 3.0 MiB)',
      'stats           run             from the output of clean',
      '  why: handler file stats.ts changed (sha 1a2b3c4d → 5e6f7a8b)',
      'embed           reuse 01JEMBED  one per clean task (1,200)',
      'train[lr=0.1]   run             from the output of stats',
      '  why: upstream stats will run',
      '  note: a command handler without handler.files: …',
      'train[lr=0.01]  run             ? (input x.csv: no such file)',
      '  why: no earlier run',
      '',
      'sweep train: 2 points (at most 2 at once, 50% failed tolerated): lr=0.1 · lr=0.01',
      '',
      'reviews: 5 runs, 2 re-used, 3 to run',
    ].join('\n'));
  });

  it('says when the cache is ignored', () => {
    const plan: PipelinePlan = { pipeline: 'p', fresh: true, runs: [run({ reasons: [{ kind: 'none', text: '--fresh: the cache is ignored' }] })], sweeps: [], summary: { runs: 1, reuse: 0, run: 1 } };
    expect(renderPlan(plan).split('\n').at(-1)).toBe('p: 1 run, 0 re-used, 1 to run (--fresh: the cache is ignored)');
  });
});
