/**
 * `djc prune` on the local backend (ports/job-pruner.ts): the rows of ended
 * jobs go in one IMMEDIATE transaction that checks again that every one of
 * them has ended; their blob directories (`blobs/jobs/<id>/`) and worker
 * logs (`workers/<id>/`) are removed after it commits. A crash in between
 * leaves files no job names (a later `rm` of them is safe), never a job
 * whose outputs are gone.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TERMINAL_JOB, type JobStatus } from '../../model/status.js';
import type { JobKind } from '../../model/job.js';
import type { JobPruner, PruneCandidate, PruneQuery } from '../../ports/job-pruner.js';
import type { Db } from './db.js';
import { withLock } from './sqlite-retry.js';

/** Every table with rows per job (keep in step with migrations.ts). */
const JOB_TABLES = ['tasks', 'job_files', 'queue', 'job_requests', 'rate_slots', 'cache_entries', 'task_cache'] as const;

const ENDED = [...TERMINAL_JOB];
const ENDED_SQL = ENDED.map((s) => `'${s}'`).join(', ');

interface CandidateRow {
  job_id: string;
  name: string;
  kind: JobKind;
  status: JobStatus;
  ended: string;
}

export class SqliteJobPruner implements JobPruner {
  constructor(private readonly db: Db, private readonly dirs: { blobs: string; workers: string }) {}

  async candidates(q: PruneQuery): Promise<PruneCandidate[]> {
    const statuses = (q.statuses ?? ENDED).filter((s) => TERMINAL_JOB.has(s));
    if (statuses.length === 0) return [];
    const rows = await withLock(() => this.db.prepare(`
      SELECT job_id, name, kind, status, coalesce(ended_at, created_at) AS ended FROM jobs j
      WHERE parent_id IS NULL AND status IN (${statuses.map(() => '?').join(', ')}) AND coalesce(ended_at, created_at) < ?
        AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = j.job_id AND c.status NOT IN (${ENDED_SQL}))
      ORDER BY ended, job_id`).all(...statuses, q.endedBefore) as CandidateRow[]);
    const out: PruneCandidate[] = [];
    for (const r of rows) {
      const ids = await withLock(() => this.family(r.job_id));
      let bytes = 0;
      for (const id of ids) bytes += (await du(join(this.dirs.blobs, 'jobs', id))) + (await du(join(this.dirs.workers, id)));
      out.push({ jobId: r.job_id, name: r.name, kind: r.kind, status: r.status, endedAt: r.ended, stageRuns: ids.length - 1, bytes });
    }
    return out;
  }

  async prune(jobId: string): Promise<boolean> {
    const ids = await withLock(() => this.db.transaction(() => this.deleteRows(jobId)).immediate());
    if (ids === null) return false;
    for (const id of ids) {
      await rm(join(this.dirs.blobs, 'jobs', id), { recursive: true, force: true });
      await rm(join(this.dirs.workers, id), { recursive: true, force: true });
    }
    return true;
  }

  /** The job and its stage runs. */
  private family(jobId: string): string[] {
    const children = this.db.prepare('SELECT job_id FROM jobs WHERE parent_id = ?').pluck().all(jobId) as string[];
    return [jobId, ...children];
  }

  /** Deletes the rows of the job and its stage runs if all have ended; their ids, or null (nothing deleted). */
  private deleteRows(jobId: string): string[] | null {
    const live = this.db.prepare(`SELECT count(*) FROM jobs WHERE (job_id = ? OR parent_id = ?) AND status NOT IN (${ENDED_SQL})`).pluck().get(jobId, jobId) as number;
    const exists = this.db.prepare('SELECT count(*) FROM jobs WHERE job_id = ?').pluck().get(jobId) as number;
    if (live > 0 || exists === 0) return null;
    const ids = this.family(jobId);
    for (const id of ids) {
      for (const table of JOB_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE job_id = ?`).run(id);
    }
    this.db.prepare('DELETE FROM jobs WHERE job_id = ? OR parent_id = ?').run(jobId, jobId);
    return ids;
  }
}

/** Bytes of the files under `dir` (0 when it is missing). */
async function du(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await du(p);
    else if (e.isFile()) total += (await stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
