/**
 * The start slots of rate-limited jobs (StateStore.reserveRateSlot) on
 * SQLite: one row per job holding its GCRA "theoretical arrival time" (TAT,
 * epoch ms). One upsert moves it to max(TAT, now) + interval and returns
 * it; the caller's slot is that minus the interval. Runs inside the store's
 * IMMEDIATE transaction, so processes sharing the file queue on the write
 * lock and never get the same slot.
 */
import type { Statement } from './sqlite-driver.js';
import type { Db } from './db.js';

export class SqliteRateSlots {
  private readonly upsert: Statement;

  constructor(db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO rate_slots (job_id, tat) VALUES (@jobId, @now + @interval)
       ON CONFLICT (job_id) DO UPDATE SET tat = max(tat, @now) + @interval
       RETURNING tat`,
    ).pluck();
  }

  /** The slot reserved: max(TAT, now), the TAT moved past it by `intervalMs`. */
  reserve(jobId: string, intervalMs: number, now: number): number {
    const interval = Math.max(0, Math.round(intervalMs));
    const tat = Number(this.upsert.get({ jobId, now: Math.round(now), interval }));
    return tat - interval;
  }
}
