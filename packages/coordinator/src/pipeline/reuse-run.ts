/**
 * The pipeline runner's use of the cache (reuse.ts), one per coordinated
 * pipeline: decides, when a stage run is about to start, whether an
 * earlier run stands for it, ends a re-used run SUCCEEDED without running
 * (its result copied from the earlier run's, its reason naming it), and
 * indexes the runs it saw succeed. A cache failure never fails a pipeline:
 * it is logged and the run runs.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { blobKeys, homeModes, taskKey, type Backend, type CacheComponents, type JobRecord, type Logger, type ReusedTask, type StageRunSpec, type TaskCacheEntry } from '@djc/core';
import { adoptOutput, batchReusable, indexTaskOutputs, type BatchReuse } from './batch-reuse.js';
import { adoptResult, decideReuse, indexSucceededRun, ResultDigests, type ReuseDecision } from './reuse.js';

/** The reason a re-used stage run carries: which run's result it took. */
export const reusedReason = (from: string) => `re-used ${from} (same cache key)`;

export class PipelineCache {
  private readonly digests: ResultDigests;
  /** Keys of the runs decided here that run, to index them when they succeed. */
  private readonly keys = new Map<string, { key: string | null; components: CacheComponents; run: StageRunSpec }>();

  constructor(private readonly backend: Backend, private readonly pipeline: JobRecord, private readonly opts: { fresh: boolean; log: Logger }) {
    this.digests = new ResultDigests(backend);
  }

  /** Whether this process already decided `jobId`. */
  decided(jobId: string): boolean {
    return this.keys.has(jobId);
  }

  /** `run` (its record before hand-off, with its spec's config) and the runs of the pipeline, in graph order. */
  async decide(run: JobRecord, runs: readonly JobRecord[]): Promise<ReuseDecision> {
    const graph = this.pipeline.pipeline;
    const index = run.stage?.index;
    const info = index === undefined ? undefined : graph?.runs[index];
    if (!graph || info === undefined) return 'run';
    const spec: StageRunSpec = { ...info, config: run.config };
    const upstream = new Map<string, string[]>();
    for (const stage of info.upstream?.from ?? []) {
      upstream.set(stage, runs.filter((r) => r.stage !== null && graph.runs[r.stage.index]?.stage === stage).map((r) => r.jobId));
    }
    try {
      const verdict = await decideReuse(this.backend, spec, upstream, { fresh: this.opts.fresh, digests: this.digests });
      this.keys.set(run.jobId, { key: verdict.key, components: verdict.components, run: spec });
      for (const w of verdict.warnings) this.opts.log.debug({ jobId: run.jobId, warning: w }, 'cache key');
      return verdict.decision;
    } catch (e) {
      this.opts.log.warn({ jobId: run.jobId, err: e }, 'the cache could not be read; the stage run runs');
      return 'run';
    }
  }

  /**
   * What prepare needs to re-use `run`'s batches (it was decided here, to
   * run): its task key; undefined when its input cannot be re-used by batch.
   */
  batchReuse(run: JobRecord): BatchReuse | undefined {
    const at = this.keys.get(run.jobId);
    if (!at || !batchReusable(run.config)) return undefined;
    return { taskKey: taskKey(at.components), fresh: this.opts.fresh };
  }

  /** A run coordinated here ended: index it if it SUCCEEDED with every task (a tolerated partial result never stands for a full one). */
  async ended(run: JobRecord): Promise<void> {
    const at = this.keys.get(run.jobId);
    if (!at || run.status !== 'SUCCEEDED' || run.tasks.failed + run.tasks.cancelled > 0) return;
    try {
      await indexSucceededRun(this.backend, { pipeline: this.pipeline.pipeline?.name ?? this.pipeline.name, run: at.run, jobId: run.jobId, key: at.key, components: at.components }, { digests: this.digests });
      if (batchReusable(run.config)) await indexTaskOutputs(this.backend, run.jobId, taskKey(at.components));
    } catch (e) {
      this.opts.log.warn({ jobId: run.jobId, err: e }, 'the stage run could not be added to the cache');
    }
  }
}

/**
 * Ends the SUBMITTED stage run `run` SUCCEEDED without running it, through
 * the usual statuses (PREPARING, RUNNING, FINALIZING), with the result of
 * `from` (also written to its output.path when it sets one). `withTasks`
 * (a downstream reads it batch by batch, `each: batch`): `from`'s tasks and
 * their outputs are copied too, since that downstream reads task outputs. A
 * run whose earlier result or outputs vanished meanwhile is left SUBMITTED:
 * it then runs.
 */
export async function endReused(backend: Backend, run: JobRecord, from: string, log: Logger, withTasks = false): Promise<JobRecord | null> {
  const now = () => new Date().toISOString();
  const reason = reusedReason(from);
  if (!(await adoptResult(backend, from, run.jobId)) || (withTasks && !(await copyTasks(backend, from, run.jobId)))) {
    log.warn({ jobId: run.jobId, from }, 'the re-used result is gone; the stage run runs');
    return null;
  }
  await backend.state.transitionJob(run.jobId, ['SUBMITTED'], 'PREPARING', { startedAt: now(), reason });
  await backend.state.transitionJob(run.jobId, ['PREPARING'], 'RUNNING', { reason });
  const job = await backend.state.transitionJob(run.jobId, ['RUNNING'], 'FINALIZING', { reason });
  const key = blobKeys.result(run.jobId);
  const path = job.config.output.path;
  if (path) await writeResultFile(backend, key, path);
  return backend.state.transitionJob(run.jobId, ['FINALIZING'], 'SUCCEEDED', { endedAt: now(), reason, outputPath: path ?? `blob:${key}` });
}

/** The result blob to output.path, through a temp file and a rename. */
async function writeResultFile(backend: Backend, key: string, path: string): Promise<void> {
  const body = await backend.blobs.getStream(key);
  if (body === null) throw new Error(`the result ${key} vanished while it was re-used`);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.djc-tmp-${process.pid}`;
  try {
    await streamPipeline(body, createWriteStream(tmp, { mode: homeModes().file }));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** `from`'s SUCCEEDED tasks as tasks of `jobId`, outputs copied (REUSED tasks); false when an output is gone. */
async function copyTasks(backend: Backend, from: string, jobId: string): Promise<boolean> {
  const createdAt = new Date().toISOString();
  for (let after = -1; ;) {
    const page = await backend.state.listTasks(from, { status: 'SUCCEEDED', after, limit: 1000 });
    if (page.length === 0) return true;
    after = page[page.length - 1]!.taskId;
    const tasks: ReusedTask[] = [];
    for (const t of page) {
      const entry: TaskCacheEntry = {
        taskKey: '', batchSha256: t.batch.sha256 ?? '', jobId: t.reusedFrom?.jobId ?? from, taskId: t.reusedFrom?.taskId ?? t.taskId,
        outputKey: t.outputKey, inlineOutput: t.inlineOutput, outputKind: t.outputKind, records: t.records, bad: t.bad, createdAt,
      };
      const adopted = await adoptOutput(backend, jobId, t.taskId, entry);
      if (adopted === null) return false;
      tasks.push({ batch: t.batch, from: adopted });
    }
    await backend.state.putReusedTasks(jobId, tasks);
  }
}
