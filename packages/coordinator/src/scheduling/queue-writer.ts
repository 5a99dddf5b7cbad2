import type { Backend, Logger } from '@djc/core';
import { buildQueueDocument } from '../scheduler/queue-document.js';
import { writeQueueDocument } from '../scheduler/queue-store.js';
import type { TickOutcome } from './grant-loop.js';

/** Rewritten at least this often (a fresh `at`: `djc queue` tells a live coordinator from a stopped one). */
const REFRESH_MS = 3_000;

/**
 * Writes the queue document after a tick when the decision changed (what it
 * says apart from its time), and at least every REFRESH_MS.
 */
export function createQueueWriter(backend: Backend, coordinator: string, log: Logger) {
  let last = '';
  let lastAt = 0;
  return async (outcome: TickOutcome): Promise<void> => {
    const doc = buildQueueDocument({ snapshot: outcome.snapshot, decision: outcome.decision, coordinator, recentStarts: outcome.recentStarts });
    const key = JSON.stringify({ ...doc, at: '' });
    const now = Date.now();
    if (key === last && now - lastAt < REFRESH_MS) return;
    try {
      await writeQueueDocument(backend, doc);
      last = key;
      lastAt = now;
    } catch (e) {
      log.warn({ err: e }, 'writing the queue document failed');
    }
  };
}
