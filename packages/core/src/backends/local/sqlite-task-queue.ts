/**
 * TaskQueue as a table in the local SQLite file.
 *
 * A delivery is identified by its receipt, "<row id>.<random tag, one per
 * receive>" (12 base64url characters, 72 random bits: the row keeps the
 * receipt while the message is in flight, and a UUID's 36 made each row
 * ~24 bytes wider, more page splits per receive); receiving a
 * message again gives it a new receipt. extend/release/delete/deadLetter with
 * a stale receipt (the message was received again since, released, deleted
 * or dead-lettered) change nothing and do not throw: the newer delivery owns
 * the message. `release` ends the delivery, so its receipt is stale after.
 *
 * Depth: `visible` = not dead and visible now (never received, released, or
 * whose visibility timeout ran out); `inFlight` = received, receipt live and
 * still invisible; `delayed` = invisible with no live delivery (sent with
 * delayMs, or released with a delay); `dead` = dead-lettered.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Statement } from './sqlite-driver.js';
import type { IoOptions } from '../../ports/state-store.js';
import type { QueueDepth, ReceiveOptions, ReceivedMessage, TaskMessage, TaskQueue } from '../../ports/task-queue.js';
import { openDatabase, type Db } from './db.js';
import { isBusyError, withLock } from './sqlite-retry.js';
import { QueueStatements } from './queue-statements.js';

export interface SqliteTaskQueueOptions {
  db: Db;
  /** Close `db` when the queue closes (default false: the backend closes it). */
  ownsDb?: boolean;
  /** Long-poll interval (default 25 ms). */
  pollMs?: number;
}

interface ReadyRow {
  id: number;
  body: string;
  receive_count: number;
}

export class SqliteTaskQueue implements TaskQueue {
  private readonly db: Db;
  private readonly ownsDb: boolean;
  private readonly pollMs: number;
  private readonly sql: QueueStatements;
  private readonly sendTx;
  private readonly receiveTx;
  private readonly byReceipt;
  private readonly purgeTx;
  private readonly deleteManyTx;

  constructor(opts: SqliteTaskQueueOptions) {
    this.db = opts.db;
    this.ownsDb = opts.ownsDb ?? false;
    this.pollMs = opts.pollMs ?? 25;
    this.sql = new QueueStatements(this.db);
    this.sendTx = this.db.transaction((messages: readonly TaskMessage[], visibleAt: number) => {
      for (const m of messages) this.sql.insert.run(m.jobId, m.taskId, JSON.stringify(m), visibleAt);
    });
    this.receiveTx = this.db.transaction(<T>(o: ReceiveOptions, acks: string | null, also: (got: ReceivedMessage[]) => T) => {
      if (acks !== null) this.sql.removeMany.run(acks, acks);
      const got = this.take(o);
      return { got, also: got.length > 0 ? also(got) : null };
    });
    this.byReceipt = this.db.transaction((stmt: Statement, id: number, receipt: string, values: unknown[]) => {
      stmt.run(...values, id, receipt);
    });
    this.purgeTx = this.db.transaction((jobId: string) => this.sql.purge.run(jobId));
    this.deleteManyTx = this.db.transaction((receipts: string) => this.sql.removeMany.run(receipts, receipts));
  }

  async send(messages: readonly TaskMessage[], opts: IoOptions & { delayMs?: number } = {}): Promise<void> {
    if (messages.length === 0) return;
    const visibleAt = Date.now() + Math.max(0, opts.delayMs ?? 0);
    await withLock(() => this.sendTx.immediate(messages, visibleAt));
  }

  /**
   * Up to `max` visible messages, oldest-visible first, hidden for
   * `visibilityMs`. Takes the write lock only when a cheap read sees a ready
   * message. With `waitMs`, polls that read every `pollMs` until a message is
   * visible, the wait ends, or `signal` aborts (then: []).
   */
  async receive(opts: ReceiveOptions): Promise<ReceivedMessage[]> {
    return (await this.receiveWith(opts, [], () => null)).got;
  }

  /**
   * receive, in one transaction with deleteBatch(`receipts`) before it and
   * `also(got)` after it (when it got messages): the local backend's joint
   * operations (sqlite-joint-ops.ts). `also` runs inside the transaction:
   * if it throws, nothing was received or deleted. The first try writes
   * even when no message looks ready, if there are receipts to delete.
   */
  async receiveWith<T>(opts: ReceiveOptions, receipts: readonly string[], also: (got: ReceivedMessage[]) => T): Promise<{ got: ReceivedMessage[]; also: T | null }> {
    type Got = { got: ReceivedMessage[]; also: T | null };
    const none: Got = { got: [], also: null };
    const deadline = Date.now() + (opts.waitMs ?? 0);
    let acks = liveReceipts(receipts);
    for (;;) {
      if (opts.signal?.aborted) {
        if (acks !== null) await this.deleteJson(acks);
        return none;
      }
      const pending = acks;
      acks = null;
      const r = pending !== null || this.looksReady(opts.jobId) ? await withLock(() => this.receiveTx.immediate(opts, pending, also) as Got) : none;
      if (r.got.length > 0 || Date.now() >= deadline) return r;
      if (!(await this.waitForReady(opts, deadline))) return none;
    }
  }

  /** Sleeps until a message looks ready (true) or the deadline/abort (false). */
  private async waitForReady(opts: ReceiveOptions, deadline: number): Promise<boolean> {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        await delay(Math.min(this.pollMs, left), undefined, { signal: opts.signal });
      } catch {
        return false;
      }
      if (this.looksReady(opts.jobId)) return true;
    }
  }

  /** A cheap read without the write lock; a busy database counts as "maybe". */
  private looksReady(jobId: string | undefined): boolean {
    try {
      const now = Date.now();
      return (jobId === undefined ? this.sql.probe.get(now) : this.sql.probeJob.get(jobId, now)) !== undefined;
    } catch (e) {
      if (isBusyError(e)) return true;
      throw e;
    }
  }

  private take(o: ReceiveOptions): ReceivedMessage[] {
    const now = Date.now();
    const max = Math.max(1, Math.floor(o.max));
    const rows = (o.jobId === undefined ? this.sql.ready.all(now, max) : this.sql.readyJob.all(o.jobId, now, max)) as ReadyRow[];
    if (rows.length === 0) return [];
    const tag = randomBytes(9).toString('base64url');
    this.sql.markReceived.run(now + o.visibilityMs, tag, JSON.stringify(rows.map((r) => r.id)));
    return rows.map((r) => ({ receipt: `${r.id}.${tag}`, message: JSON.parse(r.body) as TaskMessage, receiveCount: r.receive_count + 1 }));
  }

  private async onReceipt(stmt: Statement, receipt: string, values: unknown[]): Promise<void> {
    const id = Number.parseInt(receipt, 10);
    if (!Number.isSafeInteger(id)) return;
    await withLock(() => this.byReceipt.immediate(stmt, id, receipt, values));
  }

  /** Stale receipt: no-op. */
  extend(receipt: string, visibilityMs: number): Promise<void> {
    return this.onReceipt(this.sql.extend, receipt, [Date.now() + visibilityMs]);
  }

  /** Stale receipt: no-op. The receipt is stale afterwards. */
  release(receipt: string, delayMs: number): Promise<void> {
    return this.onReceipt(this.sql.release, receipt, [Date.now() + Math.max(0, delayMs)]);
  }

  /** Stale receipt: no-op. */
  delete(receipt: string): Promise<void> {
    return this.onReceipt(this.sql.remove, receipt, []);
  }

  /** One statement in one transaction; stale receipts are skipped. */
  async deleteBatch(receipts: readonly string[]): Promise<void> {
    const json = liveReceipts(receipts);
    if (json !== null) await this.deleteJson(json);
  }

  /**
   * send() of a plain message ({ v: 1, jobId, taskId }) for each of
   * `taskIds`, visible now, inside the caller's transaction
   * (sqlite-joint-ops.ts: prepare's tasks and their messages in one write).
   */
  sendTasksIn(jobId: string, taskIds: readonly number[]): void {
    if (taskIds.length > 0) this.sql.insertTasks.run(jobId, jobId, Date.now(), JSON.stringify(taskIds));
  }

  /** deleteBatch inside the caller's transaction (sqlite-joint-ops.ts). */
  deleteIn(receipts: readonly string[]): void {
    const json = liveReceipts(receipts);
    if (json !== null) this.sql.removeMany.run(json, json);
  }

  private async deleteJson(json: string): Promise<void> {
    await withLock(() => this.deleteManyTx.immediate(json));
  }

  /** Stale receipt: no-op (the newer delivery decides the message's fate). */
  deadLetter(receipt: string, reason: string): Promise<void> {
    return this.onReceipt(this.sql.deadLetter, receipt, [reason]);
  }

  /** Deletes every live (not dead-lettered) message of the job, in flight or not. */
  async purgeJob(jobId: string): Promise<void> {
    await withLock(() => this.purgeTx.immediate(jobId));
  }

  /** Exact: the ids with no live row (visible, delayed or in flight) in the queue table. */
  async withoutMessage(jobId: string, taskIds: readonly number[]): Promise<number[]> {
    if (taskIds.length === 0) return [];
    const rows = await withLock(() => this.sql.withoutMessage.all(JSON.stringify(taskIds), jobId) as { taskId: number }[]);
    return rows.map((r) => r.taskId);
  }

  /** Exact counts (see the header for the definitions). */
  async depth(jobId?: string): Promise<QueueDepth> {
    const now = Date.now();
    return withLock(() => (jobId === undefined ? this.sql.depth.get({ now }) : this.sql.depthJob.get({ now, jobId })) as QueueDepth);
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}

/** The receipts that can name a row, as a JSON array; null if none. */
function liveReceipts(receipts: readonly string[]): string | null {
  const live = receipts.filter((r) => Number.isSafeInteger(Number.parseInt(r, 10)));
  return live.length === 0 ? null : JSON.stringify(live);
}

/** A queue on its own database file, or on a handle shared with a state store. */
export function createSqliteTaskQueue(opts: { db: Db; pollMs?: number } | { file: string; pollMs?: number }): SqliteTaskQueue {
  return 'db' in opts
    ? new SqliteTaskQueue({ db: opts.db, pollMs: opts.pollMs })
    : new SqliteTaskQueue({ db: openDatabase(opts.file), ownsDb: true, pollMs: opts.pollMs });
}
