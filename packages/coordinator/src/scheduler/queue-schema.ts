/**
 * The queue document's schema (queue-store.ts reads with it): a module of
 * its own, imported when a document is parsed, so that the modules of a
 * CLI read that never parses one do not load zod.
 */
import { JOB_STATUSES } from '@djc/core/read';
import { z } from 'zod';
import { QUEUE_DOCUMENT_VERSION } from './queue-document.js';

const unlimited = z.number().nullable().transform((v) => v ?? Infinity);
const Resources = z.looseObject({ cpus: unlimited, memoryBytes: unlimited, gpus: unlimited });
const WaitReasonSchema = z.looseObject({
  code: z.enum(['resources', 'priority', 'reservation', 'max_jobs', 'quota', 'never_fits']),
  message: z.string(),
  position: z.number(),
  jobsAhead: z.number(),
  need: Resources,
  free: Resources,
  estimatedStartMs: z.number().nullable(),
});
export const QueueDocumentSchema = z.looseObject({
  version: z.literal(QUEUE_DOCUMENT_VERSION),
  at: z.string(),
  coordinator: z.string(),
  pools: z.array(
    Resources.extend({
      pool: z.enum(['local', 'slurm', 'external']),
      maxWorkers: unlimited,
      used: Resources.extend({ workers: z.number() }),
    }),
  ),
  jobs: z.array(
    z.looseObject({
      jobId: z.string(),
      name: z.string(),
      status: z.enum(JOB_STATUSES),
      owner: z.string(),
      priority: z.string(),
      effectivePriority: z.number(),
      position: z.number().nullable(),
      resources: Resources,
      workersHeld: z.number(),
      workersWanted: z.number(),
      submittedAt: z.string(),
      reason: WaitReasonSchema.nullable(),
    }),
  ),
  reservation: z.looseObject({ jobId: z.string(), startAt: z.string() }).nullable().optional(),
  classes: z.array(
    z.looseObject({ priority: z.string(), queued: z.number(), running: z.number(), waitP50Ms: z.number().nullable(), waitP95Ms: z.number().nullable() }),
  ),
});

