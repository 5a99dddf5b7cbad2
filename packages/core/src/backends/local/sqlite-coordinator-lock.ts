/**
 * The coordinator lock: one row. Taking it reads the row and writes it in
 * one IMMEDIATE transaction (the caller's writer), so two coordinators racing
 * for it cannot both win. The row carries an epoch: incremented on every
 * takeover, kept on renewal; releasing expires the row rather than deleting
 * it, so the epoch never goes back.
 */
import type { Statement } from './sqlite-driver.js';
import type { CoordinatorInfo, LockClaim } from '../../ports/state-store.js';
import type { Db } from './db.js';
import { epochAfter } from '../lock-epoch.js';

interface LockRow {
  owner: string;
  pid: number;
  host: string;
  heartbeat_at: number;
  expires_at: number;
  epoch: number;
}

export class SqliteCoordinatorLock {
  private readonly upsert: Statement;
  private readonly select: Statement;
  private readonly renewal: Statement;
  private readonly expire: Statement;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO coordinator_lock (id, owner, pid, host, heartbeat_at, expires_at, epoch)
      VALUES (1, @owner, @pid, @host, @heartbeatAt, @expiresAt, @epoch)
      ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
        heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, epoch = excluded.epoch`);
    this.select = db.prepare('SELECT owner, pid, host, heartbeat_at, expires_at, epoch FROM coordinator_lock WHERE id = 1');
    this.renewal = db.prepare(`UPDATE coordinator_lock SET heartbeat_at = @heartbeatAt, expires_at = @expiresAt
      WHERE id = 1 AND owner = @owner AND epoch = @epoch`);
    this.expire = db.prepare('UPDATE coordinator_lock SET expires_at = 0 WHERE id = 1 AND owner = ?');
  }

  /** True if `claim.owner` holds the lock now (taken, renewed, or taken over after expiry or from a dead holder). Run in a transaction. */
  acquire(claim: LockClaim, now = Date.now()): boolean {
    const cur = this.get();
    const epoch = epochAfter(cur, claim, now);
    if (epoch === null) return false;
    const { owner, pid, host, heartbeatAt, expiresAt } = claim;
    this.upsert.run({ owner, pid, host, heartbeatAt, expiresAt, epoch });
    return true;
  }

  /** Extends the lock only while `info.owner` holds it at `info.epoch`. */
  renew(info: CoordinatorInfo): boolean {
    const { owner, epoch, heartbeatAt, expiresAt } = info;
    return this.renewal.run({ owner, epoch, heartbeatAt, expiresAt }).changes === 1;
  }

  get(): CoordinatorInfo | null {
    const row = this.select.get() as LockRow | undefined;
    if (!row) return null;
    return { owner: row.owner, pid: row.pid, host: row.host, heartbeatAt: row.heartbeat_at, expiresAt: row.expires_at, epoch: row.epoch };
  }

  /** Expires the lock if `owner` holds it; otherwise does nothing. */
  release(owner: string): void {
    this.expire.run(owner);
  }
}
