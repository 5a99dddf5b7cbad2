/**
 * The pipeline runner's decisions, as a PURE function of the pipeline's
 * graph and the states of its runs (coordinate-pipeline.ts reads a snapshot,
 * calls readyStages, and applies the actions with conditional transitions,
 * so a stale snapshot loses a race instead of doing a thing twice).
 *
 * - ready: a WAITING run whose upstream stages all ended, or, N to N
 *   (`each: batch`), whose one upstream run has started (→ SUBMITTED, its
 *   input taken from `from`: the upstreams that SUCCEEDED, in `needs` order).
 *   An upstream that did not succeed is handled per the run's
 *   `on_upstream_failure`: skip (→ SKIPPED, the reason names the first
 *   upstream that failed, and a chain of skips keeps the root cause), fail
 *   (the pipeline stops: every unfinished run is cancelled or skipped and the
 *   pipeline ends FAILED), run (ready anyway, on what succeeded; skipped if
 *   nothing did).
 * - run: a run ready to be coordinated (SUBMITTED, or left mid-way by a
 *   coordinator that stopped) that nobody here coordinates, within the
 *   stage's `max_parallel`.
 * - warm: start the workers of a WAITING run (a stage of one run, not N to
 *   N) whose upstreams have all succeeded or are in their last round (a
 *   stage of one run, RUNNING, no more tasks queued than it has workers), so
 *   they are up when it is ready.
 * - explain: a WAITING run's reason, when what it waits for changed.
 * - cancel: an unfinished run, when the pipeline is cancelled or stopped.
 * - finish: every run ended: the pipeline's outcome (SUCCEEDED iff every
 *   stage succeeded, tolerated failures included; CANCELLED if cancelled).
 */
import type { PipelineGraph, SweepSpec } from '@djc/core';
import { stageOutcome, type RunState, type StageOutcome } from './stage-outcome.js';

export type PipelineAction =
  | { kind: 'ready'; run: number; from: string[] }
  | { kind: 'run'; run: number }
  | { kind: 'skip'; run: number; reason: string }
  | { kind: 'warm'; run: number }
  | { kind: 'explain'; run: number; reason: string }
  | { kind: 'cancel'; run: number; reason: string }
  | { kind: 'finish'; status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; error: string | null };

export interface PipelineState {
  /** States of `graph.runs`, by index. */
  runs: readonly RunState[];
  /** `djc cancel` of the pipeline. */
  cancelRequested: boolean;
}

// QUEUED and PAUSED (djc pause) runs are under way too: their coordinator waits for them to be resumed.
const ACTIVE = new Set(['QUEUED', 'PREPARING', 'RUNNING', 'PAUSED', 'FINALIZING']);

export function readyStages(graph: PipelineGraph, state: PipelineState): PipelineAction[] {
  const stages = new StageView(graph, state.runs);
  const stop = state.cancelRequested ? 'the pipeline was cancelled' : stages.stopReason();
  if (stop !== null) return stopAll(state.runs, stop, state.cancelRequested);
  const actions: PipelineAction[] = [];
  const starting = new Map<string, number>();
  graph.runs.forEach((run, i) => {
    const r = state.runs[i]!;
    if (r.status === 'WAITING') {
      actions.push(decideWaiting(graph, stages, i, r));
      if (stages.mayWarm(run.stage, run.needs)) actions.push({ kind: 'warm', run: i });
    }
    else if ((r.status === 'SUBMITTED' || ACTIVE.has(r.status)) && !r.active) {
      const n = starting.get(run.stage) ?? 0;
      if (stages.mayStart(run.stage, r.status, n)) {
        starting.set(run.stage, n + (r.status === 'SUBMITTED' ? 1 : 0));
        actions.push({ kind: 'run', run: i });
      }
    }
  });
  const finish = finishOf(graph, stages, state.runs);
  return finish ? [...actions.filter((a) => a.kind !== 'explain'), finish] : actions.filter((a) => a.kind !== 'explain' || a.reason !== state.runs[a.run]?.reason);
}

function decideWaiting(graph: PipelineGraph, stages: StageView, i: number, r: RunState): PipelineAction {
  const run = graph.runs[i]!;
  // N to N: ready as soon as its one upstream run is under way; it gets task i when upstream task i succeeds.
  const from = run.upstream?.each === 'batch' && run.upstream.from.length === 1 ? run.upstream.from[0]! : null;
  if (from !== null && run.needs.length === 1 && stages.streaming(from)) return { kind: 'ready', run: i, from: [from] };
  const pending = run.needs.filter((n) => stages.outcome(n) === null);
  if (pending.length > 0) return { kind: 'explain', run: i, reason: `waiting for ${pending.map((n) => stages.progress(n)).join(', ')}` };
  const ok = run.needs.filter((n) => stages.outcome(n) === 'SUCCEEDED');
  const bad = run.needs.find((n) => stages.outcome(n) !== 'SUCCEEDED');
  if (bad === undefined) return { kind: 'ready', run: i, from: ok };
  if (run.onUpstreamFailure === 'run' && ok.length > 0) return { kind: 'ready', run: i, from: ok };
  // 'fail' stops the whole pipeline (stopReason); here: skip, or run with nothing to run on.
  return { kind: 'skip', run: i, reason: stages.failureOf(bad) };
}

/** Every unfinished run cancelled (active or ready) or skipped (waiting); then the pipeline's end. */
function stopAll(runs: readonly RunState[], reason: string, cancelled: boolean): PipelineAction[] {
  const actions: PipelineAction[] = [];
  let open = 0;
  runs.forEach((r, i) => {
    if (r.status === 'WAITING') actions.push(cancelled ? { kind: 'cancel', run: i, reason } : { kind: 'skip', run: i, reason });
    else if (r.status === 'SUBMITTED' || ACTIVE.has(r.status)) {
      actions.push({ kind: 'cancel', run: i, reason });
      open++;
    }
  });
  if (open === 0) {
    actions.push({ kind: 'finish', status: cancelled ? 'CANCELLED' : 'FAILED', error: reason });
  }
  return actions;
}

function finishOf(graph: PipelineGraph, stages: StageView, runs: readonly RunState[]): PipelineAction | null {
  const outcomes = graph.order.map((s) => [s, stages.outcome(s)] as const);
  if (outcomes.some(([, o]) => o === null) || runs.some((r) => r.status === 'WAITING')) return null;
  const bad = outcomes.filter(([, o]) => o !== 'SUCCEEDED');
  if (bad.length === 0) return { kind: 'finish', status: 'SUCCEEDED', error: null };
  return { kind: 'finish', status: 'FAILED', error: bad.map(([s, o]) => `${s} ${o}`).join(', ') };
}

/** The runs of each stage, and what follows from them. */
class StageView {
  private readonly byStage = new Map<string, RunState[]>();
  private readonly sweeps = new Map<string, SweepSpec>();

  constructor(private readonly graph: PipelineGraph, runs: readonly RunState[]) {
    graph.runs.forEach((run, i) => {
      const list = this.byStage.get(run.stage) ?? [];
      list.push(runs[i]!);
      this.byStage.set(run.stage, list);
    });
    for (const s of graph.sweeps) this.sweeps.set(s.stage, s);
  }

  outcome(stage: string): StageOutcome | null {
    return stageOutcome(this.byStage.get(stage) ?? [], this.sweeps.get(stage));
  }

  /** A stage of one run that has started and not ended: an N-to-N downstream may stream from it. */
  streaming(stage: string): boolean {
    const runs = this.byStage.get(stage) ?? [];
    return runs.length === 1 && ACTIVE.has(runs[0]!.status);
  }

  /**
   * A stage of one run whose needs are all SUCCEEDED or in their last round
   * (one run, RUNNING, no more tasks queued than its workers: each takes at
   * most one more), one of them not ended yet: its workers may start now.
   */
  mayWarm(stage: string, needs: readonly string[]): boolean {
    if (this.sweeps.has(stage) || needs.length === 0) return false;
    const last = (s: string) => {
      const runs = this.byStage.get(s) ?? [];
      const t = runs[0]?.tasks;
      return runs.length === 1 && runs[0]!.status === 'RUNNING' && t !== undefined && t.total > 0 && t.pending + t.retrying <= runs[0]!.workers;
    };
    return needs.some(last) && needs.every((s) => last(s) || this.outcome(s) === 'SUCCEEDED');
  }

  /** "clean (RUNNING 40%)": a stage not ended yet, for a waiting run's reason. */
  progress(stage: string): string {
    const runs = this.byStage.get(stage) ?? [];
    if (runs.length === 1) {
      const r = runs[0]!;
      const pct = r.tasks.total > 0 ? ` ${Math.floor((100 * r.tasks.succeeded) / r.tasks.total)}%` : '';
      return `${stage} (${r.status}${r.status === 'RUNNING' ? pct : ''})`;
    }
    const ended = runs.filter((r) => r.status !== 'WAITING' && r.status !== 'SUBMITTED' && !ACTIVE.has(r.status)).length;
    return `${stage} (${ended}/${runs.length} points ended)`;
  }

  /** Why a run after `stage` will not run: the stage's outcome, or the root cause it was skipped for. */
  failureOf(stage: string): string {
    const outcome = this.outcome(stage);
    if (outcome === 'SKIPPED') {
      const cause = (this.byStage.get(stage) ?? []).find((r) => r.reason)?.reason;
      if (cause) return cause;
    }
    return `upstream ${stage} ${outcome ?? 'did not succeed'}`;
  }

  /** A run may be coordinated: already under way, or within max_parallel of its stage. */
  mayStart(stage: string, status: string, startingNow: number): boolean {
    if (status !== 'SUBMITTED') return true;
    const max = this.sweeps.get(stage)?.maxParallel ?? null;
    if (max === null) return true;
    const busy = (this.byStage.get(stage) ?? []).filter((r) => ACTIVE.has(r.status) || (r.active && r.status === 'SUBMITTED')).length;
    return busy + startingNow < max;
  }

  /** A stage that ended badly and that a downstream run with `on_upstream_failure: fail` needs: the pipeline stops. */
  stopReason(): string | null {
    for (const run of this.graph.runs) {
      if (run.onUpstreamFailure !== 'fail') continue;
      for (const need of run.needs) {
        const o = this.outcome(need);
        if (o !== null && o !== 'SUCCEEDED') return `upstream ${need} ${o}; ${run.stage} has on_upstream_failure: fail`;
      }
    }
    return null;
  }
}
