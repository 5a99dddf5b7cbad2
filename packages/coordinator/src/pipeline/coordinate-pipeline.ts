/**
 * Drives one pipeline from wherever it is to its end: reads a snapshot of
 * its runs, asks readyStages what to do, applies the actions with
 * conditional transitions, and coordinates each run that may start as an
 * ordinary job (coordinateJob), concurrently. It reacts at once when a run
 * it coordinates ends (no waiting for the next tick), so a downstream stage
 * starts right after its upstream committed. Everything it knows is in the
 * records, so a coordinator that died mid-pipeline is replaced by another
 * call (the daemon, or `djc run` again) that resumes it: runs left mid-way
 * are coordinated again (coordinateJob resumes them), nothing is done twice.
 */
import { ConflictError, streamedFrom, TERMINAL_JOB, type Backend, type JobRecord, type Logger } from '@djc/core';
import { coordinateJob, mustGetJob } from '../coordinate-job.js';
import { coordinatorName, keepMarking } from '../liveness.js';
import { cancelJob } from '../job-actions.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { handOffConfig } from './hand-off.js';
import { readyStages, type PipelineAction } from './ready-stages.js';
import { endReused, PipelineCache } from './reuse-run.js';

/** The seam for re-use from a cache: 'run', or the id of an earlier run whose result stands for this one (not yet used). */
export type RunDecision = 'run' | { reuse: string };

export interface PipelineCoordinateOptions {
  dispatcher: Dispatcher;
  log: Logger;
  signal?: AbortSignal;
  owner?: string;
  /** Longest wait between two looks at the runs (default 250 ms); the loop also wakes when a run it coordinates ends. */
  tickMs?: number;
  /** Called on every look, with the pipeline and its runs (progress display). */
  onSnapshot?: (pipeline: JobRecord, runs: readonly JobRecord[]) => void;
  /** Decides, when a run becomes ready, whether it runs (default: always). */
  decideRun?: (run: JobRecord) => Promise<RunDecision>;
  /** Never re-use an earlier run from the cache (also when the pipeline was submitted with --fresh: PipelineGraph.fresh); runs that succeed are still added to it. */
  fresh?: boolean;
}

export async function coordinatePipeline(backend: Backend, pipelineId: string, opts: PipelineCoordinateOptions): Promise<JobRecord> {
  let pipeline = await mustGetJob(backend, pipelineId);
  if (TERMINAL_JOB.has(pipeline.status)) return pipeline;
  const graph = pipeline.pipeline;
  if (!graph) throw new Error(`job ${pipelineId} is not a pipeline`);
  const owner = opts.owner ?? coordinatorName('djc');
  const stopMarking = keepMarking(backend, pipelineId, owner, opts.log);
  const active = new Map<string, Promise<unknown>>();
  const warm = new WarmRuns(opts.dispatcher, opts.log);
  const wake = new Wake();
  const cache = new PipelineCache(backend, pipeline, { fresh: opts.fresh === true || graph.fresh === true, log: opts.log });
  try {
    if (pipeline.status === 'SUBMITTED') pipeline = await backend.state.transitionJob(pipelineId, ['SUBMITTED'], 'PREPARING', { startedAt: new Date().toISOString() });
    if (pipeline.status === 'PREPARING') pipeline = await backend.state.transitionJob(pipelineId, ['PREPARING'], 'RUNNING');
    while (!opts.signal?.aborted) {
      pipeline = await mustGetJob(backend, pipelineId);
      if (TERMINAL_JOB.has(pipeline.status)) break;
      const runs = await backend.state.listJobs({ parentId: pipelineId });
      opts.onSnapshot?.(pipeline, runs);
      await warm.release(runs);
      if (runs.length !== graph.runs.length) throw new Error(`pipeline ${pipelineId} has ${runs.length} of its ${graph.runs.length} stage runs`);
      const states = runs.map((r) => ({ jobId: r.jobId, status: r.status, reason: r.reason, tasks: r.tasks, workers: r.config.compute.workers, active: active.has(r.jobId) }));
      const actions = readyStages(graph, { runs: states, cancelRequested: pipeline.cancelRequested });
      let changed = false;
      for (const a of actions) changed = (await apply(backend, pipeline, runs, a, { ...opts, owner, cache, warm }, active, wake)) || changed;
      if (actions.some((a) => a.kind === 'finish')) continue;
      // A change may make another action possible at once (ready → run); else wait for a run to end, or the tick.
      if (!changed) await wake.wait(opts.tickMs ?? 250, opts.signal);
    }
  } finally {
    stopMarking();
    await Promise.allSettled([...active.values(), warm.releaseAll()]);
  }
  const final = await mustGetJob(backend, pipelineId);
  opts.onSnapshot?.(final, await backend.state.listJobs({ parentId: pipelineId }));
  return final;
}

type Opts = PipelineCoordinateOptions & { owner: string; cache: PipelineCache; warm: WarmRuns };

/** Applies one action; true if it changed a record. A lost race (ConflictError) changes nothing: the next look sees why. */
async function apply(
  backend: Backend, pipeline: JobRecord, runs: readonly JobRecord[], a: PipelineAction, opts: Opts, active: Map<string, Promise<unknown>>, wake: Wake,
): Promise<boolean> {
  const now = () => new Date().toISOString();
  try {
    switch (a.kind) {
      case 'ready': {
        const run = runs[a.run]!;
        // Decided on the spec's config, before hand-off writes upstream locations (which name job ids) into it.
        const decision = await decide(run, runs, opts);
        const format = pipeline.pipeline?.runs[a.run]?.upstream?.format ?? null;
        const config = await handOffConfig(backend, run, runs, a.from, format);
        const ready = await backend.state.transitionJob(run.jobId, ['WAITING'], 'SUBMITTED', { reason: null, settings: { config, retries: run.retries } });
        if (decision !== 'run') await endReused(backend, ready, decision.reuse, opts.log, streamedFrom(pipeline.pipeline?.runs ?? [], run.stage?.name ?? ''));
        return true;
      }
      case 'run': {
        const run = runs[a.run]!;
        // A run without needs is SUBMITTED from the start and never 'ready': its cache is looked up here, once.
        if (run.status === 'SUBMITTED' && run.stage?.needs.length === 0 && !opts.cache.decided(run.jobId)) {
          const decision = await decide(run, runs, opts);
          const withTasks = streamedFrom(pipeline.pipeline?.runs ?? [], run.stage?.name ?? '');
          if (decision !== 'run' && (await endReused(backend, run, decision.reuse, opts.log, withTasks)) !== null) return true;
        }
        // Its coordinateJob adopts (and in the end stops) the workers warm started.
        opts.warm.handOver(run.jobId);
        // Woken when the run has ended, not only once its workers are stopped: the next stage starts meanwhile.
        const batchReuse = opts.cache.batchReuse(run);
        const p = coordinateJob(backend, run.jobId, { dispatcher: opts.dispatcher, log: opts.log, signal: opts.signal, owner: opts.owner, batchReuse, onEnded: () => wake.now() })
          .then((final) => opts.cache.ended(final))
          .catch((e: unknown) => opts.log.error({ jobId: run.jobId, err: e }, 'coordinating a stage run failed'))
          .finally(() => {
            active.delete(run.jobId);
            wake.now();
          });
        active.set(run.jobId, p);
        return false;
      }
      case 'warm':
        await opts.warm.start(runs[a.run]!);
        return false;
      case 'skip':
        await backend.state.transitionJob(runs[a.run]!.jobId, ['WAITING'], 'SKIPPED', { reason: a.reason, endedAt: now() });
        return true;
      case 'explain':
        await backend.state.updateJob(runs[a.run]!.jobId, { reason: a.reason });
        return false;
      case 'cancel':
        return await cancelRun(backend, runs[a.run]!, a.reason, opts.log);
      case 'finish':
        // Through FINALIZING, as any job ends (the one transition table).
        if (pipeline.status === 'RUNNING') await backend.state.transitionJob(pipeline.jobId, ['RUNNING'], 'FINALIZING');
        await backend.state.transitionJob(pipeline.jobId, ['FINALIZING'], a.status, { endedAt: now(), error: a.error });
        return true;
    }
  } catch (e) {
    if (e instanceof ConflictError) return false;
    throw e;
  }
}

/** opts.decideRun when the caller gives one, else the cache. */
function decide(run: JobRecord, runs: readonly JobRecord[], opts: Opts): Promise<RunDecision> {
  return opts.decideRun ? opts.decideRun(run) : opts.cache.decide(run, runs);
}

async function cancelRun(backend: Backend, run: JobRecord, reason: string, log: Logger): Promise<boolean> {
  if (run.status === 'WAITING') {
    await backend.state.transitionJob(run.jobId, ['WAITING'], 'CANCELLED', { reason, endedAt: new Date().toISOString() });
    return true;
  }
  if (run.cancelRequested) return false;
  await backend.state.updateJob(run.jobId, { reason });
  await cancelJob(backend, run.jobId, log);
  return true;
}

/** Lets the loop sleep until a run ends (now()) or the tick passes. */
class Wake {
  private resolve: (() => void) | null = null;
  private pending = false;

  now(): void {
    this.pending = true;
    this.resolve?.();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.resolve = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.resolve = done;
    });
  }
}

/**
 * Runs whose workers started early (Dispatcher.warm) and that no
 * coordinateJob has taken over yet: a run that ends without running
 * (SKIPPED, CANCELLED, re-used) gets its workers stopped here.
 */
class WarmRuns {
  private readonly started = new Set<string>();

  constructor(private readonly dispatcher: Dispatcher, private readonly log: Logger) {}

  async start(run: JobRecord): Promise<void> {
    if (!this.dispatcher.warm || this.started.has(run.jobId)) return;
    this.started.add(run.jobId);
    try {
      await this.dispatcher.warm(run);
      this.log.debug({ jobId: run.jobId }, 'workers started before the run is ready');
    } catch (e) {
      // Only a head start: coordinateJob starts them again when the run is ready.
      this.log.warn({ jobId: run.jobId, err: e }, 'starting workers early failed');
    }
  }

  handOver(jobId: string): void {
    this.started.delete(jobId);
  }

  /** Stops the workers of warm runs that ended without being coordinated. */
  async release(runs: readonly JobRecord[]): Promise<void> {
    const ended = runs.filter((r) => this.started.has(r.jobId) && TERMINAL_JOB.has(r.status));
    await Promise.all(ended.map((r) => this.stop(r.jobId)));
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.started].map((id) => this.stop(id)));
  }

  private async stop(jobId: string): Promise<void> {
    this.started.delete(jobId);
    await this.dispatcher.stop(jobId).catch((e: unknown) => this.log.warn({ jobId, err: e }, 'stopping early workers failed'));
  }
}
