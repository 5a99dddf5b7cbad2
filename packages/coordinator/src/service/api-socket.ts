/**
 * The API's unix socket across coordinators: a socket file left by one that
 * died is replaced; one a running coordinator answers on is refused, unless
 * this process leads the backend and the one answering does not (a leader
 * that lost the lock, paused or standing down); and a leader that lost the
 * lock closing its listener does not take its successor's socket with it.
 */
import { link, rename, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { DjcError, type Backend } from '@djc/core';
import type { ServiceApp } from './create-service.js';

/** How long a new leader waits for the socket's current owner to say it leads (a paused one never answers). */
const PROBE_MS = 300;

/**
 * Closing a unix listener unlinks its path (libuv), even when a successor
 * (the leader that took over while this one was paused) has bound a new
 * socket there since: that one is kept aside by a hard link and put back.
 */
export function keepingSuccessorsSocket(app: ServiceApp, path: string): { close(): Promise<unknown> } {
  let ino: number | null = null;
  app.server.once('listening', () => void stat(path).then((s) => { ino = s.ino; }, () => undefined));
  return {
    close: async () => {
      const now = await stat(path).catch(() => null);
      if (ino === null || now === null || now.ino === ino) return app.close();
      const aside = `${path}.${process.pid}.keep`;
      const kept = await link(path, aside).then(() => true, () => false);
      try {
        return await app.close();
      } finally {
        if (kept) await rename(aside, path).catch(() => rm(aside, { force: true }));
      }
    },
  };
}

/**
 * A socket file nobody answers on is left from a coordinator that died:
 * removed. One that answers belongs to a running coordinator: refused. When
 * this process leads the backend, only one that answers as a leader (of
 * another backend, sharing this home) is refused; any other is a leader that
 * lost the lock, and is replaced.
 */
export async function clearStaleSocket(path: string, backend: Backend, leading: boolean): Promise<void> {
  if (leading) {
    if (await answersAsLeader(path)) {
      throw new DjcError('USAGE', `the coordinator of another backend serves the API at ${path}`, {
        hint: 'give this one its own socket with --socket PATH, or its own home (DJC_HOME)',
      });
    }
    await rm(path, { force: true });
    return;
  }
  if (await answers(path)) {
    const holder = await backend.state.getCoordinatorLock().catch(() => null);
    const who = holder ? `another coordinator is running for this backend (pid ${holder.pid} on ${holder.host})` : 'another process';
    throw new DjcError('USAGE', `${who} serves the API at ${path}`, { hint: 'one coordinator per home: stop the other one first, or use it' });
  }
  await rm(path, { force: true });
}

function answers(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Whether the coordinator on the socket answers /readyz as a leader (of another backend, then: this process leads its own). */
function answersAsLeader(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const req = request({ socketPath: path, path: '/readyz', method: 'GET', timeout: PROBE_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
