import { describe, expect, it } from 'vitest';
import type { JobStatus, PipelineGraph, Point, StageRunInfo, SweepSpec, UpstreamPolicy } from '@djc/core';
import { readyStages, type PipelineAction } from './ready-stages.js';
import type { RunState } from './stage-outcome.js';

interface S { name: string; needs?: string[]; points?: Point[]; policy?: UpstreamPolicy; sweep?: Partial<SweepSpec>; each?: 'batch' }

function graph(stages: S[]): PipelineGraph {
  const runs = stages.flatMap((s) => (s.points ?? [null]).map((point): StageRunInfo => ({
    stage: s.name, point, needs: s.needs ?? [], onUpstreamFailure: s.policy ?? 'skip', paramsUsed: {},
    displayName: point ? `${s.name}[${Object.values(point).join(',')}]` : s.name,
    upstream: s.needs?.length ? { from: s.needs, each: s.each ?? null, format: null } : null,
  })));
  const sweeps = stages.filter((s) => s.points).map((s) => ({
    stage: s.name, maxParallel: null, toleratedFailure: { count: 0 }, points: s.points!.length, ...s.sweep,
  }));
  return { v: 1, name: 'p', labels: {}, parameters: {}, order: stages.map((s) => s.name), runs, sweeps, sources: [] };
}

/** States by display name: a status, or [status, reason], "STATUS*" = coordinated here now. */
function states(g: PipelineGraph, by: Record<string, JobStatus | `${JobStatus}*` | [JobStatus, string]>): RunState[] {
  return g.runs.map((run) => {
    const v = by[run.displayName] ?? 'WAITING';
    const [s, reason] = Array.isArray(v) ? v : [v, null];
    const active = s.endsWith('*');
    return { jobId: run.displayName, status: s.replace('*', '') as JobStatus, reason, tasks: { total: 10, succeeded: 4, pending: 6, retrying: 0 }, workers: 4, active };
  });
}

function decide(g: PipelineGraph, by: Parameters<typeof states>[1], cancelRequested = false): PipelineAction[] {
  return readyStages(g, { runs: states(g, by), cancelRequested });
}

const diamond = (policy: UpstreamPolicy = 'skip') => graph([
  { name: 'clean' }, { name: 'stats', needs: ['clean'] }, { name: 'embed', needs: ['clean'] },
  { name: 'report', needs: ['stats', 'embed'], policy },
]);

describe('readyStages', () => {
  it.each<[string, Parameters<typeof states>[1], PipelineAction[]]>([
    ['a fresh pipeline runs its first stage and explains what the others wait for', { clean: 'SUBMITTED' }, [
      { kind: 'run', run: 0 },
      { kind: 'explain', run: 1, reason: 'waiting for clean (SUBMITTED)' },
      { kind: 'explain', run: 2, reason: 'waiting for clean (SUBMITTED)' },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]],
    ['a stage coordinated here is not started twice; progress shows in the reasons', {
      clean: 'RUNNING*', stats: ['WAITING', 'waiting for clean (RUNNING 40%)'], embed: 'WAITING', report: 'WAITING',
    }, [
      { kind: 'explain', run: 2, reason: 'waiting for clean (RUNNING 40%)' },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]],
    ['an upstream that succeeded makes both branches ready', { clean: 'SUCCEEDED' }, [
      { kind: 'ready', run: 1, from: ['clean'] },
      { kind: 'ready', run: 2, from: ['clean'] },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]],
    ['a run left mid-way by a coordinator that stopped is coordinated again (resume)', {
      clean: 'SUCCEEDED', stats: 'RUNNING', embed: 'FINALIZING', report: ['WAITING', 'waiting for stats (RUNNING 40%), embed (FINALIZING)'],
    }, [{ kind: 'run', run: 1 }, { kind: 'run', run: 2 }]],
    ['the join waits for the last of its upstreams, then reads them in needs order', {
      clean: 'SUCCEEDED', stats: 'SUCCEEDED', embed: 'SUCCEEDED',
    }, [{ kind: 'ready', run: 3, from: ['stats', 'embed'] }]],
    ['every stage succeeded: the pipeline succeeds', {
      clean: 'SUCCEEDED', stats: 'SUCCEEDED', embed: 'SUCCEEDED', report: 'SUCCEEDED',
    }, [{ kind: 'finish', status: 'SUCCEEDED', error: null }]],
  ])('%s', (_, by, expected) => {
    expect(decide(diamond(), by)).toEqual(expected);
  });

  it('skip: a failed upstream skips its dependents with the root cause, the other branch runs on, the pipeline fails', () => {
    const g = diamond('skip');
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'RUNNING*' })).toEqual([
      { kind: 'explain', run: 3, reason: 'waiting for embed (RUNNING 40%)' },
    ]);
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'SUCCEEDED' })).toEqual([
      { kind: 'skip', run: 3, reason: 'upstream stats FAILED' },
    ]);
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'SUCCEEDED', report: ['SKIPPED', 'upstream stats FAILED'] })).toEqual([
      { kind: 'finish', status: 'FAILED', error: 'stats FAILED, report SKIPPED' },
    ]);
  });

  it('a stage run that timed out (deadline) is a failed upstream; a paused one is under way (coordinated again, not started twice)', () => {
    const g = diamond('skip');
    expect(decide(g, { clean: 'TIMEOUT' })).toEqual([
      { kind: 'skip', run: 1, reason: 'upstream clean FAILED' },
      { kind: 'skip', run: 2, reason: 'upstream clean FAILED' },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]);
    expect(decide(g, { clean: 'PAUSED', stats: 'WAITING' })).toEqual([
      { kind: 'run', run: 0 },
      { kind: 'explain', run: 1, reason: 'waiting for clean (PAUSED)' },
      { kind: 'explain', run: 2, reason: 'waiting for clean (PAUSED)' },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]);
    expect(decide(g, { clean: 'PAUSED*' })).toEqual([
      { kind: 'explain', run: 1, reason: 'waiting for clean (PAUSED)' },
      { kind: 'explain', run: 2, reason: 'waiting for clean (PAUSED)' },
      { kind: 'explain', run: 3, reason: 'waiting for stats (WAITING), embed (WAITING)' },
    ]);
  });

  it('skip cascades: a stage after a skipped one is skipped for the same root cause', () => {
    const g = graph([{ name: 'a' }, { name: 'b', needs: ['a'] }, { name: 'c', needs: ['b'] }]);
    expect(decide(g, { a: 'CANCELLED' })).toEqual([
      { kind: 'skip', run: 1, reason: 'upstream a CANCELLED' },
      { kind: 'explain', run: 2, reason: 'waiting for b (WAITING)' },
    ]);
    expect(decide(g, { a: 'CANCELLED', b: ['SKIPPED', 'upstream a CANCELLED'] })).toEqual([
      { kind: 'skip', run: 2, reason: 'upstream a CANCELLED' },
    ]);
  });

  it('fail: an upstream failure stops the pipeline: running runs cancelled, waiting ones skipped, then FAILED', () => {
    const g = diamond('fail');
    const why = 'upstream stats FAILED; report has on_upstream_failure: fail';
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'RUNNING*' })).toEqual([
      { kind: 'cancel', run: 2, reason: why },
      { kind: 'skip', run: 3, reason: why },
    ]);
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'CANCELLED', report: ['SKIPPED', why] })).toEqual([
      { kind: 'finish', status: 'FAILED', error: why },
    ]);
  });

  it('run: the stage runs on what the upstreams that succeeded produced; skipped when none did', () => {
    const g = diamond('run');
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'SUCCEEDED' })).toEqual([{ kind: 'ready', run: 3, from: ['embed'] }]);
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'FAILED', embed: 'FAILED' })).toEqual([{ kind: 'skip', run: 3, reason: 'upstream stats FAILED' }]);
  });

  it('cancel: every unfinished run is cancelled, then the pipeline ends CANCELLED', () => {
    const g = diamond();
    const why = 'the pipeline was cancelled';
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'RUNNING*', embed: 'SUBMITTED' }, true)).toEqual([
      { kind: 'cancel', run: 1, reason: why }, { kind: 'cancel', run: 2, reason: why }, { kind: 'cancel', run: 3, reason: why },
    ]);
    expect(decide(g, { clean: 'SUCCEEDED', stats: 'CANCELLED', embed: 'CANCELLED', report: 'CANCELLED' }, true)).toEqual([
      { kind: 'finish', status: 'CANCELLED', error: why },
    ]);
  });

  it('N to N (each: batch): ready as soon as its upstream run is under way, not before it starts', () => {
    const g = graph([{ name: 'up' }, { name: 'down', needs: ['up'], each: 'batch' }, { name: 'after', needs: ['down'] }]);
    expect(decide(g, { up: 'SUBMITTED' })).toEqual([
      { kind: 'run', run: 0 }, { kind: 'explain', run: 1, reason: 'waiting for up (SUBMITTED)' }, { kind: 'explain', run: 2, reason: 'waiting for down (WAITING)' },
    ]);
    expect(decide(g, { up: 'RUNNING*', after: ['WAITING', 'waiting for down (WAITING)'] })).toEqual([{ kind: 'ready', run: 1, from: ['up'] }]);
    expect(decide(g, { up: 'FAILED' })).toEqual([
      { kind: 'skip', run: 1, reason: 'upstream up FAILED' }, { kind: 'explain', run: 2, reason: 'waiting for down (WAITING)' },
    ]);
  });

  it('warm: a waiting run\'s workers start when its upstreams are in their last round (no more queued tasks than workers)', () => {
    const g = graph([{ name: 'a' }, { name: 'b' }, { name: 'c', needs: ['a', 'b'] }, { name: 'sweep', needs: ['a'], points: [{ k: 1 }] }]);
    const at = (queued: number, b: JobStatus): RunState[] => states(g, { a: 'RUNNING*', b: `${b}*` as `${JobStatus}*` }).map((r, i) =>
      (i === 0 ? { ...r, tasks: { ...r.tasks, pending: queued - 1, retrying: 1 } } : r));
    const warm = (runs: RunState[]) => readyStages(g, { runs, cancelRequested: false }).filter((x) => x.kind === 'warm');
    // a has 4 workers: 5 queued is more than one round; b has not succeeded yet (and has 6 queued).
    expect(warm(at(5, 'SUCCEEDED'))).toEqual([]);
    expect(warm(at(4, 'RUNNING'))).toEqual([]);
    // a in its last round, b done: c warms; the sweep stage never does (its points start within max_parallel).
    expect(warm(at(4, 'SUCCEEDED'))).toEqual([{ kind: 'warm', run: 2 }]);
    expect(warm(at(1, 'SUCCEEDED'))).toEqual([{ kind: 'warm', run: 2 }]);
  });

  it('max_parallel: at most that many points of a sweep run at once; the next starts when one ends', () => {
    const points = [{ lr: 1 }, { lr: 2 }, { lr: 3 }, { lr: 4 }];
    const g = graph([{ name: 'train', points, sweep: { maxParallel: 2 } }]);
    expect(decide(g, { 'train[1]': 'SUBMITTED', 'train[2]': 'SUBMITTED', 'train[3]': 'SUBMITTED', 'train[4]': 'SUBMITTED' }))
      .toEqual([{ kind: 'run', run: 0 }, { kind: 'run', run: 1 }]);
    expect(decide(g, { 'train[1]': 'RUNNING*', 'train[2]': 'SUBMITTED*', 'train[3]': 'SUBMITTED', 'train[4]': 'SUBMITTED' })).toEqual([]);
    expect(decide(g, { 'train[1]': 'SUCCEEDED', 'train[2]': 'RUNNING*', 'train[3]': 'SUBMITTED', 'train[4]': 'SUBMITTED' }))
      .toEqual([{ kind: 'run', run: 2 }]);
  });

  it('tolerated_failure: a sweep with failed points within the tolerance succeeds, and its dependents run', () => {
    const points = [{ lr: 1 }, { lr: 2 }, { lr: 3 }];
    const mk = (t: SweepSpec['toleratedFailure']) => graph([{ name: 'train', points, sweep: { toleratedFailure: t } }, { name: 'pick', needs: ['train'] }]);
    const by = { 'train[1]': 'SUCCEEDED', 'train[2]': 'FAILED', 'train[3]': 'SUCCEEDED' } as const;
    expect(decide(mk({ count: 1 }), by)).toEqual([{ kind: 'ready', run: 3, from: ['train'] }]);
    expect(decide(mk({ percent: 34 }), by)).toEqual([{ kind: 'ready', run: 3, from: ['train'] }]);
    expect(decide(mk({ percent: 33 }), by)).toEqual([{ kind: 'skip', run: 3, reason: 'upstream train FAILED' }]);
    expect(decide(mk({ count: 0 }), { ...by, 'train[2]': 'RUNNING*' })).toEqual([
      { kind: 'explain', run: 3, reason: 'waiting for train (2/3 points ended)' },
    ]);
  });
});
