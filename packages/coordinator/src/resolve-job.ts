/**
 * Turns what a person types for a job into the job. Every command that
 * takes a job calls resolveJob, so the forms work everywhere alike:
 *
 * - nothing, or `last`: the newest job;
 * - an exact job id;
 * - a job name: its newest run (job ids are `<name>-<yyyymmddhhmmss>-<6 hex>`);
 * - a unique prefix of a job id.
 *
 * In that order: a name wins over a prefix it also is (`wc` names the job
 * `wc`, even if `wcx-…` ids exist). An ambiguous prefix is a usage error
 * (exit 2) that lists the candidates; no match is NOT_FOUND (exit 4), naming
 * where the backend looked.
 */
import { DjcError, jobNameOf } from '@djc/core/read';
import type { Backend, JobRecord, JobRef } from '@djc/core';

/** The word that names the newest job. */
export const LAST_JOB = 'last';

/** Most candidates an ambiguous prefix lists (and reads). */
const MAX_CANDIDATES = 10;

const FORMS_HINT = 'name a job by its id, a unique prefix of it, its name (its newest run), or "last"; `djc list` shows the jobs';

export async function resolveJob(backend: Backend, ref?: string): Promise<JobRecord> {
  const wanted = ref?.trim() ?? '';
  if (wanted === '' || wanted === LAST_JOB) return newestJob(backend);
  const exact = await backend.state.getJob(wanted);
  if (exact) return exact;
  const refs = await backend.state.listJobIds({ idPrefix: wanted });
  const named = refs.find((r) => jobNameOf(r.jobId) === wanted);
  const only = refs.length === 1 ? refs[0] : undefined;
  const pick = named ?? only;
  if (pick) return mustGet(backend, pick.jobId, wanted);
  if (refs.length === 0) {
    throw new DjcError('NOT_FOUND', `no job ${wanted} in ${backend.location}`, { jobId: wanted, hint: FORMS_HINT });
  }
  throw await ambiguous(backend, wanted, refs);
}

async function newestJob(backend: Backend): Promise<JobRecord> {
  const [job] = await backend.state.listJobs({ limit: 1 });
  if (!job) throw new DjcError('NOT_FOUND', `no jobs in ${backend.location}`, { hint: 'start one with `djc run JOB.yaml` or `djc submit JOB.yaml`' });
  return job;
}

/** A job listed a moment ago may be gone (deleted, expired): say so as for any missing job. */
async function mustGet(backend: Backend, jobId: string, wanted: string): Promise<JobRecord> {
  const job = await backend.state.getJob(jobId);
  if (!job) throw new DjcError('NOT_FOUND', `no job ${wanted} in ${backend.location}`, { jobId: wanted, hint: FORMS_HINT });
  return job;
}

async function ambiguous(backend: Backend, wanted: string, refs: JobRef[]): Promise<DjcError> {
  const shown = refs.slice(0, MAX_CANDIDATES);
  const jobs = await Promise.all(shown.map((r) => backend.state.getJob(r.jobId)));
  const candidates = shown.map((r, i) => ({
    jobId: r.jobId, name: jobs[i]?.name ?? jobNameOf(r.jobId), status: jobs[i]?.status ?? null, createdAt: r.createdAt,
  }));
  const lines = candidates.map((c) => `  ${c.jobId}  ${c.name ?? '-'}  ${c.status ?? 'gone'}  ${c.createdAt}`);
  if (refs.length > shown.length) lines.push(`  … and ${refs.length - shown.length} more`);
  return new DjcError('USAGE', `"${wanted}" matches ${refs.length} jobs:\n${lines.join('\n')}`, {
    hint: 'type more of the id, or the full name for its newest run, or "last"',
    details: { candidates, matches: refs.length },
  });
}

/** The job record, or NOT_FOUND. */
export async function mustGetJob(backend: Backend, jobId: string): Promise<JobRecord> {
  const job = await backend.state.getJob(jobId);
  if (!job) throw new DjcError('NOT_FOUND', `no job ${jobId}`, { jobId, hint: 'djc list shows the jobs of this backend' });
  return job;
}
