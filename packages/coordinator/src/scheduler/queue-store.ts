/**
 * The queue document in the BlobStore (`scheduler/queue.json`): written by
 * the daemon when its decision changes, read by `djc queue`, `djc status`
 * and `djc submit` (the pools' capacities). Unlimited capacities (Infinity)
 * are stored as null and read back as Infinity. The document is parsed
 * with a schema, so one written by another version of djc is refused with a
 * clear message rather than shown wrong; fields added later (by a newer
 * daemon) are kept, so `djc queue --json` passes them on.
 */
import { DjcError } from '@djc/core/read';
import type { Backend, IoOptions } from '@djc/core';
import { QUEUE_DOCUMENT_VERSION } from './queue-document.js';
import type { QueueDocument, WorkerResources } from './types.js';

/** The document's zod schema, loaded when a document is parsed: `djc status` and `tasks` open this module but parse none (zod is the largest module a read would load; issue 14). */
const schema$ = () => import('./queue-schema.js');

export const QUEUE_DOCUMENT_KEY = 'scheduler/queue.json';

/**
 * A document older than this is stale: the coordinator that wrote it has
 * likely stopped. The daemon rewrites it at least every few seconds (a
 * fresh `at`) even when its decision has not changed.
 */
export const QUEUE_STALE_MS = 10_000;

/** Write (replace) the queue document. */
export async function writeQueueDocument(backend: Backend, doc: QueueDocument, opts?: IoOptions): Promise<void> {
  await backend.blobs.put(QUEUE_DOCUMENT_KEY, queueJson({ ...doc, version: QUEUE_DOCUMENT_VERSION }), opts);
}

/**
 * JSON text of a queue document, or of a value holding one under `queue`
 * (`djc queue --json`), with unlimited capacities (Infinity) as null, as
 * stored. Only the pools and the reasons' `free` can be unlimited, so only
 * they are copied (a replacer function over every value of a 10,000-job
 * document costs more than the scheduling tick).
 */
export function queueJson(value: QueueDocument | { queue: QueueDocument | null; [field: string]: unknown }, indent?: number): string {
  if ('queue' in value) return JSON.stringify({ ...value, queue: value.queue && storedForm(value.queue) }, null, indent);
  return JSON.stringify(storedForm(value), null, indent);
}

function storedForm(doc: QueueDocument): unknown {
  const pools = doc.pools.map((p) => ({ ...p, cpus: finite(p.cpus), memoryBytes: finite(p.memoryBytes), gpus: finite(p.gpus), maxWorkers: finite(p.maxWorkers) }));
  const jobs = doc.jobs.map((e) => (e.reason && !isFinite3(e.reason.free) ? { ...e, reason: { ...e.reason, free: finite3(e.reason.free) } } : e));
  return { ...doc, pools, jobs };
}

const finite = (n: number): number | null => (n === Infinity ? null : n);
const isFinite3 = (r: WorkerResources) => r.cpus !== Infinity && r.memoryBytes !== Infinity && r.gpus !== Infinity;
const finite3 = (r: WorkerResources) => ({ cpus: finite(r.cpus), memoryBytes: finite(r.memoryBytes), gpus: finite(r.gpus) });

/**
 * The last queue document, or null when no coordinator has written one.
 * Throws DjcError BACKEND_UNAVAILABLE when it is there but does not parse.
 */
export async function readQueueDocument(backend: Backend, opts?: IoOptions): Promise<QueueDocument | null> {
  const body = await backend.blobs.get(QUEUE_DOCUMENT_KEY, opts);
  if (body === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw unreadable(backend, 'it is not JSON', cause);
  }
  const parsed = (await schema$()).QueueDocumentSchema.safeParse(json);
  if (!parsed.success) throw unreadable(backend, `${parsed.error.issues[0]?.path.join('.') || 'its shape'} does not match (written by another version of djc?)`, parsed.error);
  return parsed.data;
}

/** A queue document in its stored (JSON) form, as `GET /v1/queue` answers it under `queue`, with Infinity restored; null when it does not parse. */
export async function parseQueueDocument(json: unknown): Promise<QueueDocument | null> {
  const parsed = (await schema$()).QueueDocumentSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

function unreadable(backend: Backend, why: string, cause: unknown): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', `the queue document ${backend.blobs.locate(QUEUE_DOCUMENT_KEY)} cannot be read: ${why}`, {
    cause,
    hint: 'the coordinator rewrites it at its next decision; restart it if this persists',
  });
}
