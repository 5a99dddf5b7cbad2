/**
 * One page of `GET /v1/jobs`. The state port lists jobs newest first with a
 * limit but no key to start after, so the cursor carries the offset and the
 * last job id: the page is read from the top (cost grows with the depth of
 * the page, never with tasks) and starts after that id wherever newer jobs
 * pushed it (NOTES.md: a keyset listing in the port would remove the read).
 */
import { DjcError, type Backend, type JobRecord, type JobStatus } from '@djc/core';

/** Newer jobs may push the last one down this far between two pages. */
const SLACK = 100;

export async function jobPage(backend: Backend, q: { status?: JobStatus; limit: number; cursor?: string }): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
  const from = q.cursor === undefined ? { offset: 0, last: null } : parseCursor(q.cursor);
  const jobs = await backend.state.listJobs({ status: q.status, limit: from.offset + q.limit + 1 + (from.last ? SLACK : 0) });
  const at = from.last === null ? -1 : jobs.findIndex((j) => j.jobId === from.last);
  const start = at >= 0 ? at + 1 : from.offset;
  const page = jobs.slice(start, start + q.limit);
  const more = jobs.length > start + q.limit;
  return { jobs: page, nextCursor: more && page.length > 0 ? cursorOf(start + page.length, page.at(-1)!.jobId) : null };
}

function cursorOf(offset: number, last: string): string {
  return Buffer.from(JSON.stringify([offset, last])).toString('base64url');
}

function parseCursor(c: string): { offset: number; last: string | null } {
  try {
    const [offset, last] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [unknown, unknown];
    if (Number.isInteger(offset) && (offset as number) >= 0 && typeof last === 'string') return { offset: offset as number, last };
  } catch { /* reported below */ }
  throw new DjcError('USAGE', 'this cursor is not one this API gave', { hint: 'pass the nextCursor of the previous page as it is' });
}
