import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Backend, type CoordinatorInfo } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { isDeadHere, waitToLead } from './leadership.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
let stop: AbortController;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'djc-lead-'));
  backend = createLocalBackend({ home: join(dir, '.djc') });
  stop = new AbortController();
});
afterEach(async () => {
  stop.abort();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const opts = (extra: Partial<Parameters<typeof waitToLead>[1]> = {}) => ({ ttlMs: 60_000, renewMs: 50, pollMs: 10, log, signal: stop.signal, ...extra });
const holder = (over: Partial<CoordinatorInfo>): CoordinatorInfo => ({ owner: 'x', pid: 1, host: hostname(), heartbeatAt: 0, expiresAt: 0, epoch: 1, ...over });
const aborted = (s: AbortSignal) => new Promise<void>((r) => (s.aborted ? r() : s.addEventListener('abort', () => r(), { once: true })));

describe('leadership', () => {
  it('takes a free lock at epoch 1, renews it on its timer, and releases it at the end', async () => {
    const term = await waitToLead(backend, opts());
    expect(term).toMatchObject({ epoch: 1, how: 'free', previous: null });
    const first = await backend.state.getCoordinatorLock();
    await new Promise((r) => setTimeout(r, 200));
    const later = await backend.state.getCoordinatorLock();
    expect(later?.owner).toBe(term?.owner);
    expect(later?.heartbeatAt).toBeGreaterThan(first?.heartbeatAt ?? Infinity);
    await term?.end();
    expect((await backend.state.getCoordinatorLock())?.expiresAt).toBe(0);
    expect(term?.lostReason()).toBeNull();
  });

  it('ends the term at once when another coordinator takes the lock over (its renewal is refused)', async () => {
    const term = await waitToLead(backend, opts());
    const held = await backend.state.getCoordinatorLock();
    expect(await backend.state.acquireCoordinatorLock({ ...holder({ owner: 'thief', pid: 2 }), heartbeatAt: Date.now(), expiresAt: Date.now() + 60_000, replacing: { owner: held!.owner, epoch: 1 } })).toBe(true);
    await aborted(term!.signal);
    expect(term?.lostReason()).toContain('another coordinator took it over');
    await term?.end();
    // It released nothing it did not hold.
    expect(await backend.state.getCoordinatorLock()).toMatchObject({ owner: 'thief', epoch: 2 });
  });

  it('ends the term once the lock expires while a renewal hangs (the backend does not answer)', async () => {
    const hanging = Object.create(backend.state, { renewCoordinatorLock: { value: () => new Promise<boolean>(() => undefined) } }) as Backend['state'];
    const term = await waitToLead({ ...backend, state: hanging } as Backend, opts({ ttlMs: 1_000 }));
    await aborted(term!.signal);
    expect(term?.lostReason()).toContain('expired before it was renewed');
    expect(Date.now()).toBeGreaterThanOrEqual((await backend.state.getCoordinatorLock())!.expiresAt);
    await term?.end();
  });

  it('stands by behind a live holder, telling who, and takes over once it expires', async () => {
    const expiresAt = Date.now() + 1_000;
    await backend.state.acquireCoordinatorLock({ owner: 'other', pid: 4242, host: 'elsewhere.example', heartbeatAt: Date.now(), expiresAt });
    const seen: CoordinatorInfo[] = [];
    const term = await waitToLead(backend, opts({ onStandby: (h) => seen.push(h) }));
    expect(seen).toEqual([expect.objectContaining({ owner: 'other', host: 'elsewhere.example', epoch: 1 })]);
    expect(term).toMatchObject({ epoch: 2, how: 'expired', previous: { owner: 'other' } });
    expect(term!.at).toBeGreaterThanOrEqual(expiresAt);
    await term?.end();
  });

  it('knows a dead process on this host from a live one, and never calls one on another host dead', () => {
    expect(isDeadHere(holder({ pid: process.pid }))).toBe(false);
    expect(isDeadHere(holder({ pid: process.ppid }))).toBe(false);
    expect(isDeadHere(holder({ pid: 2 ** 22 + 1 }))).toBe(true);
    expect(isDeadHere(holder({ pid: 2 ** 22 + 1, host: 'elsewhere.example' }))).toBe(false);
  });
});
