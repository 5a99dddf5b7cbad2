import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Job ids sort by creation time: "<name>-<yyyymmddhhmmss>-<6 hex>". */
export function newJobId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${name}-${stamp}-${randomBytes(3).toString('hex')}`;
}

const JOB_ID_RE = /^(.+)-\d{14}-[0-9a-f]{6}$/;

/** The job name inside an id made by newJobId; null for an id of another form. */
export function jobNameOf(jobId: string): string | null {
  return JOB_ID_RE.exec(jobId)?.[1] ?? null;
}

/** Worker ids name the host and pid, so a human can find the process. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}
