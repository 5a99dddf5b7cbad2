import { Readable } from 'node:stream';
import { blobKeys, DjcError, type Backend, type JobRecord } from '@djc/core';
import { succeededTasks } from './aggregate.js';

/**
 * For a job with `input.on_bad_record: dead_letter`: gathers the bad records
 * of its succeeded tasks (each task's winning attempt, which is its last)
 * into the job's dead-letter file, in batch order: one JSON line per bad
 * record, with its file, byte offset, batch and problem. Returns the blob
 * key, or null when the job keeps no dead letters (or has no bad records:
 * then no task is read). Run at finalize, again
 * after `djc retry`.
 */
export async function gatherDeadLetters(backend: Backend, job: JobRecord): Promise<string | null> {
  if (job.config.input.on_bad_record !== 'dead_letter' || job.records.bad === 0) return null;
  const key = blobKeys.jobDeadLetters(job.jobId);
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const t of succeededTasks(backend, job.jobId)) {
      if (!t.bad) continue;
      const taskKey = blobKeys.deadLetters(job.jobId, t.taskId, t.attempts);
      const stream = await backend.blobs.getStream(taskKey);
      if (!stream) {
        throw new DjcError('INTERNAL', `the bad records of task ${t.taskId} are missing from the blob store (${taskKey})`, { jobId: job.jobId, taskId: t.taskId });
      }
      for await (const c of stream) yield c as Buffer;
    }
  }
  await backend.blobs.put(key, Readable.from(chunks()));
  return key;
}
