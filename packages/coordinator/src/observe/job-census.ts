/**
 * Which jobs the metrics look at, at each scrape, without listing every job
 * the backend ever held: the live ones (every status but the terminal ones,
 * up to LIVE_LIMIT each, as the daemon lists them), the runs of live
 * pipelines, and the jobs that ended since the metrics started, each
 * reported once as it ends (`ended`): found among the newest RECENT_LIMIT
 * jobs of each terminal status, or as a job that was live at the last scrape
 * and no longer is (read by id). A job that ends while more than
 * RECENT_LIMIT newer jobs of its status end between two scrapes, and that
 * no scrape saw live, is missed.
 */
import { JOB_STATUSES, TERMINAL_JOB, type Backend, type JobRecord, type JobStatus } from '@djc/core';

export const LIVE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) => !TERMINAL_JOB.has(s));
export const ENDED_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) => TERMINAL_JOB.has(s));
const LIVE_LIMIT = 20_000;
const RECENT_LIMIT = 200;
const RUNS_LIMIT = 1000;

export interface CensusResult {
  /** Live jobs, top-level and pipeline runs. */
  live: JobRecord[];
  /** Jobs seen ended for the first time (since the metrics started). */
  ended: JobRecord[];
}

export interface JobCensus {
  take(): Promise<CensusResult>;
}

export function createJobCensus(backend: Backend, since: number): JobCensus {
  let lastLive = new Set<string>();
  let counted = new Set<string>();
  return {
    take: async () => {
      const live = await liveJobs(backend);
      const liveIds = new Set(live.map((j) => j.jobId));
      const candidates = new Map<string, JobRecord>();
      for (const status of ENDED_STATUSES) {
        for (const job of await backend.state.listJobs({ status, limit: RECENT_LIMIT })) {
          if (job.endedAt !== null && Date.parse(job.endedAt) >= since) candidates.set(job.jobId, job);
        }
      }
      for (const p of live.filter((j) => j.kind === 'pipeline')) {
        for (const run of await backend.state.listJobs({ parentId: p.jobId, limit: RUNS_LIMIT })) {
          if (TERMINAL_JOB.has(run.status) && run.endedAt !== null && Date.parse(run.endedAt) >= since) candidates.set(run.jobId, run);
        }
      }
      for (const id of lastLive) {
        if (liveIds.has(id) || candidates.has(id)) continue;
        const job = await backend.state.getJob(id);
        if (job && TERMINAL_JOB.has(job.status)) candidates.set(id, job);
      }
      const ended = [...candidates.values()].filter((j) => !counted.has(j.jobId));
      // Remembered only while a listing of the newest ended jobs may show them again.
      counted = new Set([...candidates.keys()]);
      lastLive = liveIds;
      return { live, ended };
    },
  };
}

async function liveJobs(backend: Backend): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (const status of LIVE_STATUSES) out.push(...await backend.state.listJobs({ status, limit: LIVE_LIMIT }));
  for (const p of out.filter((j) => j.kind === 'pipeline')) {
    for (const run of await backend.state.listJobs({ parentId: p.jobId, limit: RUNS_LIMIT })) {
      if (!TERMINAL_JOB.has(run.status)) out.push(run);
    }
  }
  return out;
}
