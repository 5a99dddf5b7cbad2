/**
 * Who leads a backend (DESIGN.md "Failover"): the coordinator lock, held for
 * a term. `waitToLead` takes the lock, or stands by polling it until it
 * expires (or is released), and takes it at once when its holder is a dead
 * process on this host. A term renews the lock on its own timer; a renewal
 * refused (another took the lock over: its epoch moved on) or impossible
 * before the lock expires ends the term at once (its signal aborts), so the
 * old leader stops coordinating before anyone else may start.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Backend, CoordinatorInfo, Logger } from '@djc/core';

export interface LeadershipOptions {
  /** The lock expires this long after the last renewal; a standby then takes over. */
  ttlMs: number;
  /** How often the leader renews the lock (well under ttlMs). */
  renewMs: number;
  /** How often a standby looks at the lock (default: 250 ms, at most renewMs). */
  pollMs?: number;
  log: Logger;
  /** Stops waiting (and ends any term). */
  signal: AbortSignal;
  /** Called once each time this process starts standing by, with the holder it waits behind. */
  onStandby?: (holder: CoordinatorInfo) => void;
}

/** One term as leader. */
export interface Term {
  owner: string;
  epoch: number;
  /** Who held the lock before (null: nobody ever did), and why it could be taken. */
  previous: CoordinatorInfo | null;
  how: 'free' | 'expired' | 'released' | 'dead holder';
  /** When the lock was taken (epoch ms). */
  at: number;
  /** Aborts when the term ends: the caller stops, or the lock is lost. */
  signal: AbortSignal;
  /** Why the lock was lost, once it was (null while held or after a clean stop). */
  lostReason(): string | null;
  /** Stops renewing and releases the lock if still held (a standby takes over at once). */
  end(): Promise<void>;
}

/** Takes the lock (standing by while another holds it); null if `signal` aborted first. */
export async function waitToLead(backend: Backend, o: LeadershipOptions): Promise<Term | null> {
  const pollMs = Math.min(o.pollMs ?? 250, o.renewMs);
  let announced = false;
  while (!o.signal.aborted) {
    try {
      const got = await tryToLead(backend, o);
      if ('term' in got) return got.term;
      if (got.holder && !announced) {
        announced = true;
        o.onStandby?.(got.holder);
      }
    } catch (e) {
      o.log.warn({ err: e }, 'cannot read or take the coordinator lock; trying again');
    }
    await sleep(pollMs, o.signal);
  }
  return null;
}

/** One attempt: the term if the lock was taken, else the holder it is left with. */
async function tryToLead(backend: Backend, o: LeadershipOptions): Promise<{ term: Term } | { holder: CoordinatorInfo | null }> {
  const before = await backend.state.getCoordinatorLock();
  const now = Date.now();
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const dead = before !== null && before.expiresAt >= now && isDeadHere(before);
  const claim = { owner, pid: process.pid, host: hostname(), heartbeatAt: now, expiresAt: now + o.ttlMs };
  const ok = await backend.state.acquireCoordinatorLock(dead ? { ...claim, replacing: { owner: before.owner, epoch: before.epoch } } : claim);
  const held = await backend.state.getCoordinatorLock();
  if (!ok || held === null || held.owner !== owner) return { holder: held };
  const how = before === null ? 'free' : dead ? 'dead holder' : before.expiresAt === 0 ? 'released' : 'expired';
  return { term: startTerm(backend, o, held, before, how) };
}

function startTerm(backend: Backend, o: LeadershipOptions, held: CoordinatorInfo, previous: CoordinatorInfo | null, how: Term['how']): Term {
  const lost = new AbortController();
  const signal = AbortSignal.any([o.signal, lost.signal]);
  let reason: string | null = null;
  let expiresAt = held.expiresAt;
  let renewing = false;
  const lose = (why: string) => {
    if (lost.signal.aborted) return;
    reason = why;
    o.log.error({ owner: held.owner, epoch: held.epoch, reason: why }, 'lost the coordinator lock; stopping coordinating');
    lost.abort();
  };
  const renew = async () => {
    if (signal.aborted) return;
    const now = Date.now();
    // Paused (SIGSTOP, a stalled VM) or a renewal that hangs past the lock's expiry: another may lead by now.
    if (now >= expiresAt) return lose('it expired before it was renewed: this process was paused, or the backend did not answer');
    if (renewing) return;
    renewing = true;
    try {
      const ok = await backend.state.renewCoordinatorLock({ ...held, heartbeatAt: now, expiresAt: now + o.ttlMs });
      if (ok) expiresAt = now + o.ttlMs;
      else lose(`another coordinator took it over (this one held epoch ${held.epoch})`);
    } catch (e) {
      // Not renewed: carry on only while the lock surely has not expired yet.
      if (Date.now() + o.renewMs >= expiresAt) lose(`cannot renew it before it expires: ${(e as Error).message}`);
      else o.log.warn({ err: e }, 'renewing the coordinator lock failed; trying again');
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renew(), o.renewMs);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  return {
    owner: held.owner, epoch: held.epoch, previous, how, at: Date.now(), signal,
    lostReason: () => reason,
    end: async () => {
      clearInterval(timer);
      if (reason === null) await backend.state.releaseCoordinatorLock(held.owner);
    },
  };
}

/** Whether the holder is a process of this host that no longer exists (pid reuse aside). */
export function isDeadHere(holder: CoordinatorInfo): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
