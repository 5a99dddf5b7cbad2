import type { Backend } from '@djc/core';
import type { PoolCapacity } from '../scheduler/types.js';

/** Where the daemon writes its queue document (QueueDocument, with its pools' capacities). */
export const QUEUE_DOCUMENT_KEY = 'scheduler/queue.json';

/**
 * The running daemon's pools, from its queue document, or null when there
 * is none (no daemon ran yet) or it cannot be read. Infinity is stored as
 * null in JSON and read back as Infinity.
 */
export async function daemonPools(backend: Backend): Promise<PoolCapacity[] | null> {
  const body = await backend.blobs.get(QUEUE_DOCUMENT_KEY).catch(() => null);
  if (!body) return null;
  try {
    const doc = JSON.parse(body.toString('utf8')) as { pools?: Record<string, unknown>[] };
    if (!Array.isArray(doc.pools)) return null;
    const num = (v: unknown) => (typeof v === 'number' ? v : Infinity);
    return doc.pools.map((p) => ({
      pool: p.pool as PoolCapacity['pool'], cpus: num(p.cpus), memoryBytes: num(p.memoryBytes), gpus: num(p.gpus), maxWorkers: num(p.maxWorkers),
    }));
  } catch {
    return null;
  }
}
