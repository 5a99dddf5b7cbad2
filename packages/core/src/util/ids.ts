import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Job ids sort by creation time: "<name>-<yyyymmddhhmmss>-<6 hex>". */
export function newJobId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${name}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Worker ids name the host and pid, so a human can find the process. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}
