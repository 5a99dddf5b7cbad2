import type { Backend, JobRecord } from '@djc/core';
import { readQueueDocument, type WaitReason } from '@djc/coordinator';

/**
 * Why a QUEUED job waits, in words and numbers, from the coordinator's queue
 * document; null for a job in another status, or when the document is
 * missing, unreadable or does not list it (then job.reason is all there is).
 */
export async function queuedReason(backend: Backend, job: JobRecord): Promise<WaitReason | null> {
  if (job.status !== 'QUEUED') return null;
  const doc = await readQueueDocument(backend).catch(() => null);
  return doc?.jobs.find((e) => e.jobId === job.jobId)?.reason ?? null;
}
