/**
 * The coordinator lock: one row. Taking it is a single upsert whose update
 * only applies when the row is ours or expired, so two coordinators racing
 * for it cannot both win.
 */
import type { Statement } from './sqlite-driver.js';
import type { CoordinatorInfo } from '../../ports/state-store.js';
import type { Db } from './db.js';

interface LockRow {
  owner: string;
  pid: number;
  host: string;
  heartbeat_at: number;
  expires_at: number;
}

export class SqliteCoordinatorLock {
  private readonly upsert: Statement;
  private readonly select: Statement;
  private readonly remove: Statement;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO coordinator_lock (id, owner, pid, host, heartbeat_at, expires_at)
      VALUES (1, @owner, @pid, @host, @heartbeatAt, @expiresAt)
      ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
        heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at
      WHERE coordinator_lock.owner = excluded.owner OR coordinator_lock.expires_at < @now`);
    this.select = db.prepare('SELECT owner, pid, host, heartbeat_at, expires_at FROM coordinator_lock WHERE id = 1');
    this.remove = db.prepare('DELETE FROM coordinator_lock WHERE id = 1 AND owner = ?');
  }

  /** True if `info.owner` holds the lock now (taken, renewed, or stolen after expiry). */
  acquire(info: CoordinatorInfo, now = Date.now()): boolean {
    const { owner, pid, host, heartbeatAt, expiresAt } = info;
    return this.upsert.run({ owner, pid, host, heartbeatAt, expiresAt, now }).changes === 1;
  }

  get(): CoordinatorInfo | null {
    const row = this.select.get() as LockRow | undefined;
    if (!row) return null;
    return { owner: row.owner, pid: row.pid, host: row.host, heartbeatAt: row.heartbeat_at, expiresAt: row.expires_at };
  }

  /** Releases the lock if `owner` holds it; otherwise does nothing. */
  release(owner: string): void {
    this.remove.run(owner);
  }
}
