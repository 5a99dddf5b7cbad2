/** Job rows: create, read, list, and conditional status changes with a patch. */
import type { Statement } from './sqlite-driver.js';
import { ConflictError } from '../../errors.js';
import { assertJobTransition, type JobStatus } from '../../model/status.js';
import type { JobRecord, NewJob } from '../../model/job.js';
import type { JobPatch, JobRef, ListJobIdsOptions, ListJobsOptions } from '../../ports/state-store.js';
import type { Db } from './db.js';
import { noJob } from '../store-errors.js';
import { FencedError } from '../../errors.js';
import { capError } from '../../util/cap-text.js';
import { toJobRecord, type JobRow } from './state-rows.js';

const PATCH_SQL = `UPDATE jobs SET
  status = coalesce(@status, status),
  reason = CASE WHEN @setReason THEN @reason ELSE reason END,
  started_at = CASE WHEN @setStartedAt THEN @startedAt ELSE started_at END,
  ended_at = CASE WHEN @setEndedAt THEN @endedAt ELSE ended_at END,
  error = CASE WHEN @setError THEN @error ELSE error END,
  output_path = CASE WHEN @setOutputPath THEN @outputPath ELSE output_path END,
  cancel_requested = coalesce(@cancelRequested, cancel_requested),
  records_total = coalesce(@recordsTotal, records_total),
  mode = coalesce(@mode, mode),
  coordinator_owner = CASE WHEN @setCoordinator THEN @coordinatorOwner ELSE coordinator_owner END,
  coordinator_seen_at = CASE WHEN @setCoordinator THEN @coordinatorSeenAt ELSE coordinator_seen_at END,
  workers_json = CASE WHEN @setWorkers THEN @workersJson ELSE workers_json END,
  speculation_json = CASE WHEN @setSpeculation THEN @speculationJson ELSE speculation_json END,
  queued_at = CASE WHEN @setQueuedAt THEN @queuedAt ELSE queued_at END,
  coordination_json = CASE WHEN @setCoordination THEN @coordinationJson ELSE coordination_json END,
  config = CASE WHEN @setSettings THEN @config ELSE config END,
  retries_json = CASE WHEN @setSettings THEN @retriesJson ELSE retries_json END,
  version = version + 1
WHERE job_id = @jobId RETURNING *`;

export class SqliteJobOps {
  private readonly insert: Statement;
  private readonly select: Statement;
  private readonly selectStatus: Statement;
  private readonly selectEpoch: Statement;
  private readonly claimRow: Statement;
  private readonly listAll: Statement;
  private readonly listByStatus: Statement;
  private readonly listByParent: Statement;
  private readonly idsByPrefix: Statement;
  private readonly patch: Statement;
  private readonly selectRequests: Statement;
  private readonly addRequest: Statement;

  constructor(db: Db) {
    this.insert = db.prepare(`INSERT INTO jobs (job_id, name, status, backend, config, config_path, mode, created_at,
        kind, parent_id, stage_json, pipeline_json, reason, after_json, owner)
      VALUES (@jobId, @name, @status, @backend, @config, @configPath, @mode, @createdAt,
        @kind, @parentId, @stageJson, @pipelineJson, @reason, @afterJson, @owner)
      ON CONFLICT (job_id) DO NOTHING RETURNING *`);
    this.select = db.prepare('SELECT * FROM jobs WHERE job_id = ?');
    this.selectStatus = db.prepare('SELECT status FROM jobs WHERE job_id = ?').pluck();
    this.selectEpoch = db.prepare('SELECT coordinator_epoch FROM jobs WHERE job_id = ?').pluck();
    this.claimRow = db.prepare(`UPDATE jobs SET coordinator_epoch = coordinator_epoch + 1,
      coordinator_owner = @owner, coordinator_seen_at = @seenAt, version = version + 1 WHERE job_id = @jobId RETURNING *`);
    this.listAll = db.prepare('SELECT * FROM jobs WHERE parent_id IS NULL ORDER BY created_at DESC, job_id DESC LIMIT ?');
    this.listByStatus = db.prepare('SELECT * FROM jobs WHERE status = ? AND parent_id IS NULL ORDER BY created_at DESC, job_id DESC LIMIT ?');
    this.listByParent = db.prepare('SELECT * FROM jobs WHERE parent_id = ?');
    // A range of the primary key: every id that starts with the prefix sorts between it and prefix + U+10FFFF.
    this.idsByPrefix = db.prepare(`SELECT job_id AS jobId, created_at AS createdAt FROM jobs
      WHERE job_id >= ? AND job_id < ? ORDER BY created_at DESC, job_id DESC LIMIT ?`);
    this.patch = db.prepare(PATCH_SQL);
    this.selectRequests = db.prepare('SELECT op, n FROM job_requests WHERE job_id = ? ORDER BY op');
    // INSERT … SELECT: nothing is stored for a job that does not exist.
    this.addRequest = db.prepare(`INSERT INTO job_requests (job_id, op, n)
      SELECT job_id, @op, @n FROM jobs WHERE job_id = @jobId
      ON CONFLICT (job_id, op) DO UPDATE SET n = n + excluded.n`);
  }

  /** Adds request counts; run inside the caller's IMMEDIATE transaction. */
  addRequests(jobId: string, counts: Record<string, number>): void {
    for (const [op, n] of Object.entries(counts)) {
      if (Number.isInteger(n) && n > 0) this.addRequest.run({ jobId, op, n });
    }
  }

  create(job: NewJob): JobRecord {
    const row = this.insertRow(job, new Date().toISOString());
    if (!row) throw new ConflictError(`job ${job.jobId} already exists`, { jobId: job.jobId });
    return this.record(row);
  }

  /** Creates the jobs that do not exist (one creation time for all); run inside the caller's transaction. */
  createMany(jobs: readonly NewJob[]): number {
    const createdAt = new Date().toISOString();
    let created = 0;
    for (const job of jobs) if (this.insertRow(job, createdAt)) created++;
    return created;
  }

  private insertRow(job: NewJob, createdAt: string): JobRow | undefined {
    return this.insert.get({
      jobId: job.jobId,
      name: job.name,
      status: job.status ?? 'SUBMITTED',
      backend: job.backend,
      config: JSON.stringify(job.config),
      configPath: job.configPath,
      mode: job.mode,
      createdAt,
      kind: job.kind ?? 'job',
      parentId: job.parentId ?? null,
      stageJson: job.stage ? JSON.stringify(job.stage) : null,
      pipelineJson: job.pipeline ? JSON.stringify(job.pipeline) : null,
      reason: job.reason ?? null,
      afterJson: job.after ? JSON.stringify(job.after) : null,
      owner: job.owner ?? '',
    }) as JobRow | undefined;
  }

  get(jobId: string): JobRecord | null {
    const row = this.select.get(jobId) as JobRow | undefined;
    return row ? this.record(row) : null;
  }

  /** The job's status, or null if there is no such job. */
  status(jobId: string): JobStatus | null {
    return (this.selectStatus.get(jobId) as JobStatus | undefined) ?? null;
  }

  list(opts: ListJobsOptions = {}): JobRecord[] {
    if (opts.parentId !== undefined) return this.listChildren(opts.parentId, opts);
    const limit = opts.limit ?? -1;
    const rows = (opts.status ? this.listByStatus.all(opts.status, limit) : this.listAll.all(limit)) as JobRow[];
    return rows.map((r) => this.record(r));
  }

  /** A pipeline's stage runs in run order (jobs_by_parent), filtered by status, cut to limit. */
  private listChildren(parentId: string, opts: ListJobsOptions): JobRecord[] {
    const rows = (this.listByParent.all(parentId) as JobRow[]).filter((r) => !opts.status || r.status === opts.status);
    const runs = rows.map((r) => this.record(r)).sort((a, b) => (a.stage?.index ?? 0) - (b.stage?.index ?? 0));
    return opts.limit === undefined ? runs : runs.slice(0, Math.max(0, opts.limit));
  }

  listIds(opts: ListJobIdsOptions = {}): JobRef[] {
    const prefix = opts.idPrefix ?? '';
    return this.idsByPrefix.all(prefix, `${prefix}\u{10FFFF}`, opts.limit ?? -1) as JobRef[];
  }

  /** claimJob: epoch + 1 and the owner's mark, in one UPDATE. */
  claim(jobId: string, owner: string): JobRecord {
    const row = this.claimRow.get({ jobId, owner, seenAt: Date.now() }) as JobRow | undefined;
    if (!row) throw noJob(jobId);
    return this.record(row);
  }

  /** FencedError unless the job's epoch is `fence` (nothing to check without one); run inside the writer's transaction. */
  checkFence(jobId: string, fence: number | undefined): void {
    if (fence === undefined) return;
    const epoch = this.selectEpoch.get(jobId) as number | undefined;
    if (epoch === undefined) throw noJob(jobId);
    if (epoch !== fence) throw new FencedError(jobId, fence, epoch);
  }

  transition(jobId: string, from: readonly JobStatus[], to: JobStatus, patch: JobPatch = {}): JobRecord {
    const status = this.status(jobId);
    if (status === null) throw noJob(jobId);
    if (!from.includes(status)) {
      throw new ConflictError(`job ${jobId} is ${status}, not ${from.join(' or ')}`, { jobId, details: { status } });
    }
    assertJobTransition(status, to, jobId);
    return this.write(jobId, to, patch);
  }

  update(jobId: string, patch: JobPatch): JobRecord {
    if (this.status(jobId) === null) throw noJob(jobId);
    return this.write(jobId, null, patch);
  }

  private write(jobId: string, status: JobStatus | null, p: JobPatch): JobRecord {
    const row = this.patch.get({
      jobId,
      status,
      setReason: flag(p, 'reason'),
      reason: p.reason ?? null,
      setStartedAt: flag(p, 'startedAt'),
      startedAt: p.startedAt ?? null,
      setEndedAt: flag(p, 'endedAt'),
      endedAt: p.endedAt ?? null,
      setError: flag(p, 'error'),
      error: capError(p.error ?? null),
      setOutputPath: flag(p, 'outputPath'),
      outputPath: p.outputPath ?? null,
      cancelRequested: p.cancelRequested === undefined ? null : Number(p.cancelRequested),
      recordsTotal: p.recordsTotal ?? null,
      mode: p.mode ?? null,
      setCoordinator: flag(p, 'coordinator'),
      coordinatorOwner: p.coordinator?.owner ?? null,
      coordinatorSeenAt: p.coordinator?.seenAt ?? null,
      setWorkers: flag(p, 'workers'),
      workersJson: p.workers ? JSON.stringify(p.workers) : null,
      setSpeculation: flag(p, 'speculation'),
      speculationJson: p.speculation ? JSON.stringify(p.speculation) : null,
      setQueuedAt: flag(p, 'queuedAt'),
      queuedAt: p.queuedAt ?? null,
      setCoordination: flag(p, 'coordination'),
      coordinationJson: p.coordination ? JSON.stringify(p.coordination) : null,
      setSettings: flag(p, 'settings'),
      config: p.settings ? JSON.stringify(p.settings.config) : null,
      retriesJson: p.settings ? JSON.stringify(p.settings.retries) : null,
    }) as JobRow;
    return this.record(row);
  }

  private record(row: JobRow): JobRecord {
    const rows = this.selectRequests.all(row.job_id) as { op: string; n: number }[];
    return toJobRecord(row, Object.fromEntries(rows.map((r) => [r.op, r.n])));
  }
}

/** 1 when the patch sets this key (to a value or to null), 0 when it leaves it alone. */
function flag(p: JobPatch, key: keyof JobPatch): number {
  return p[key] === undefined ? 0 : 1;
}
