/**
 * `Idempotency-Key` on POSTs: the first answer to a key is kept in the blob
 * store (both backends have one), so a retried POST (same key, same
 * principal, same request) gets that answer again and acts once. The same
 * key with another request is a 409. Concurrent requests with one key in
 * this process wait for the first; two coordinators answering one key at
 * the same moment could both act (a debt in NOTES.md).
 */
import { createHash } from 'node:crypto';
import { DjcError, type Backend } from '@djc/core';

export interface StoredAnswer {
  v: 1;
  /** Hash of the method, URL and body the key was first used with. */
  request: string;
  status: number;
  body: unknown;
  at: string;
}

const PREFIX = 'service/idempotency/';
const MAX_KEY = 200;

export class IdempotencyStore {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly backend: Backend) {}

  /** The stored answer for this key, or the answer `act` gives (stored before it is returned). */
  async answer(o: { key: string; principal: string; request: string }, act: () => Promise<{ status: number; body: unknown }>): Promise<{ status: number; body: unknown; replayed: boolean }> {
    if (o.key.length === 0 || o.key.length > MAX_KEY) {
      throw new DjcError('USAGE', `Idempotency-Key must be 1-${MAX_KEY} characters`, { hint: 'send a UUID per logical request' });
    }
    const blob = `${PREFIX}${sha256(`${o.principal}\n${o.key}`)}.json`;
    for (let pending = this.inFlight.get(blob); pending; pending = this.inFlight.get(blob)) await pending.catch(() => undefined);
    const run = this.run(blob, o.request, act);
    this.inFlight.set(blob, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(blob) === run) this.inFlight.delete(blob);
    }
  }

  private async run(blob: string, request: string, act: () => Promise<{ status: number; body: unknown }>) {
    const stored = await this.backend.blobs.get(blob);
    if (stored) {
      const first = JSON.parse(stored.toString('utf8')) as StoredAnswer;
      if (first.request !== sha256(request)) {
        throw new DjcError('CONFLICT', 'this Idempotency-Key was used with another request', { hint: 'use a new key for a new request' });
      }
      return { status: first.status, body: first.body, replayed: true };
    }
    const { status, body } = await act();
    // Errors are not kept: a request that failed may be retried with the same key.
    if (status < 400) {
      const answer: StoredAnswer = { v: 1, request: sha256(request), status, body, at: new Date().toISOString() };
      await this.backend.blobs.put(blob, JSON.stringify(answer));
    }
    return { status, body, replayed: false };
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
