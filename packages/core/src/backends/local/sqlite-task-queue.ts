/**
 * TaskQueue in the local SQLite file, from two sources read as one: a plain
 * task message ({ v: 1, jobId, taskId }) for a task whose row exists lives in
 * that row (task-row-messages.ts: no queue row, no JSON body); every other
 * message (a copy's, one for a task with no row, a dead letter) is a row of
 * the queue table. receive takes from both in visible order.
 *
 * A delivery is identified by its receipt: in the queue table "<row id>.<random
 * tag, one per receive>", in a task row "t<taskId>.<tag>.<jobId>" (the tag:
 * 12 base64url characters, 72 random bits: the row keeps it while the
 * message is in flight, and a UUID's 36 made each row ~24 bytes wider, more
 * page splits per receive); receiving a message again gives it a new
 * receipt. extend/release/delete/deadLetter with
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
import { parseTaskReceipt, taskReceipt, TaskRowMessages, type ReadyTask, type TaskReceipt } from './task-row-messages.js';

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
  visible_at: number;
}

export class SqliteTaskQueue implements TaskQueue {
  private readonly db: Db;
  private readonly ownsDb: boolean;
  private readonly pollMs: number;
  private readonly sql: QueueStatements;
  private readonly rows: TaskRowMessages;
  private readonly sendTx;
  private readonly receiveTx;
  private readonly byReceipt;
  private readonly purgeTx;
  private readonly deleteManyTx;
  private readonly taskTx;
  private readonly depthTx;

  constructor(opts: SqliteTaskQueueOptions) {
    this.db = opts.db;
    this.ownsDb = opts.ownsDb ?? false;
    this.pollMs = opts.pollMs ?? 25;
    this.sql = new QueueStatements(this.db);
    this.rows = new TaskRowMessages(this.db);
    this.sendTx = this.db.transaction((messages: readonly TaskMessage[], visibleAt: number) => this.sendIn(messages, visibleAt));
    this.receiveTx = this.db.transaction(<T>(
      o: ReceiveOptions, acks: Receipts | null, also: (got: ReceivedMessage[], mark: TaskMark | null) => T, fold: boolean, first: (() => void) | null,
    ) => {
      first?.();
      if (acks !== null) this.deleteReceipts(acks);
      const mark: { left: TaskMark | null } = { left: null };
      const got = this.take(o, fold ? mark : null);
      return { got, also: got.length > 0 ? also(got, mark.left) : null };
    });
    this.byReceipt = this.db.transaction((stmt: Statement, id: number, receipt: string, values: unknown[]) => {
      stmt.run(...values, id, receipt);
    });
    this.purgeTx = this.db.transaction((jobId: string) => {
      this.sql.purge.run(jobId);
      this.rows.purgeIn(jobId);
    });
    this.deleteManyTx = this.db.transaction((receipts: Receipts | null, first: (() => void) | null = null) => {
      first?.();
      if (receipts !== null) this.deleteReceipts(receipts);
    });
    this.taskTx = this.db.transaction((onTask: (r: TaskReceipt) => void, r: TaskReceipt) => onTask(r));
    this.depthTx = this.db.transaction((jobId: string | undefined): QueueDepth => {
      const now = Date.now();
      const q = (jobId === undefined ? this.sql.depth.get({ now }) : this.sql.depthJob.get({ now, jobId })) as QueueDepth;
      const [visible, inFlight, delayed] = this.rows.depth(jobId, now);
      return { visible: q.visible + visible, inFlight: q.inFlight + inFlight, delayed: q.delayed + delayed, dead: q.dead };
    });
  }

  /** Marks task-row messages of `jobId` received, inside the caller's transaction (a fold's remainder, sqlite-joint-ops.ts). */
  markTasksIn(jobId: string, taskIds: readonly number[], mark: TaskMark): void {
    this.rows.markReceived(taskIds.map((taskId) => ({ jobId, taskId, count: 0, at: 0 })), mark.until, mark.tag);
  }

  /** send() inside the caller's transaction: plain messages into their task rows where the rows exist, the rest as queue rows. */
  private sendIn(messages: readonly TaskMessage[], visibleAt: number): void {
    const plain = new Map<string, number[]>();
    for (const m of messages) {
      if (m.copyOf !== undefined) continue;
      const ids = plain.get(m.jobId);
      if (ids) ids.push(m.taskId);
      else plain.set(m.jobId, [m.taskId]);
    }
    const set = new Map<string, Set<number>>();
    for (const [jobId, ids] of plain) set.set(jobId, this.rows.sendIn(jobId, ids, visibleAt));
    for (const m of messages) {
      if (m.copyOf === undefined && set.get(m.jobId)?.has(m.taskId)) continue;
      this.sql.insert.run(m.jobId, m.taskId, JSON.stringify(m), visibleAt);
    }
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
   * operations (sqlite-joint-ops.ts). With `fold`, when every message got is
   * a task row's of `opts.jobId`, their rows are NOT marked received: `also`
   * gets the mark to write (TaskMark: with its claim's UPDATE) and must
   * write it for every one of them. `also` runs inside the transaction:
   * if it throws, nothing was received or deleted. The first try writes
   * even when no message looks ready, if there are receipts to delete.
   * `first`: writes to make at the start of the first try's transaction
   * (the joint end's lease writes); with it there is one try only (no long
   * poll), made even when `opts.signal` is aborted.
   */
  async receiveWith<T>(
    opts: ReceiveOptions, receipts: readonly string[], also: (got: ReceivedMessage[], mark: TaskMark | null) => T, fold = false,
    first: (() => void) | null = null,
  ): Promise<{ got: ReceivedMessage[]; also: T | null }> {
    type Got = { got: ReceivedMessage[]; also: T | null };
    const none: Got = { got: [], also: null };
    const deadline = first === null ? Date.now() + (opts.waitMs ?? 0) : 0;
    let acks = liveReceipts(receipts);
    let before = first;
    for (;;) {
      if (opts.signal?.aborted) {
        const left = acks;
        const also = before;
        if (left !== null || also !== null) await withLock(() => this.deleteManyTx.immediate(left, also));
        return none;
      }
      const pending = acks;
      const also1 = before;
      acks = null;
      before = null;
      const write = pending !== null || also1 !== null || this.looksReady(opts.jobId);
      const r = write ? await withLock(() => this.receiveTx.immediate(opts, pending, also, fold, also1) as Got) : none;
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
      return this.rows.anyReady(jobId, now) || (jobId === undefined ? this.sql.probe.get(now) : this.sql.probeJob.get(jobId, now)) !== undefined;
    } catch (e) {
      if (isBusyError(e)) return true;
      throw e;
    }
  }

  /** Both sources' visible messages, oldest-visible first (task rows first on a tie), at most `max`, marked received. */
  private take(o: ReceiveOptions, fold: { left: TaskMark | null } | null): ReceivedMessage[] {
    const now = Date.now();
    const max = Math.max(1, Math.floor(o.max));
    const tasks = this.rows.ready(o.jobId, now, max);
    const rows = (o.jobId === undefined ? this.sql.ready.all(now, max) : this.sql.readyJob.all(o.jobId, now, max)) as ReadyRow[];
    if (tasks.length + rows.length === 0) return [];
    const tag = randomBytes(9).toString('base64url');
    const until = now + o.visibilityMs;
    if (rows.length === 0) {
      if (fold !== null && o.jobId !== undefined) fold.left = { until, tag };
      else this.rows.markReceived(tasks, until, tag);
      return tasks.map((t) => fromTask(t, tag));
    }
    const both: (ReadyTask | ReadyRow)[] = [...tasks, ...rows];
    both.sort((a, b) => atOf(a) - atOf(b));
    both.length = Math.min(both.length, max);
    const fromTasks = both.filter((m): m is ReadyTask => 'taskId' in m);
    const fromRows = both.filter((m): m is ReadyRow => 'id' in m);
    if (fromTasks.length > 0) this.rows.markReceived(fromTasks, until, tag);
    if (fromRows.length > 0) this.sql.markReceived.run(until, tag, JSON.stringify(fromRows.map((r) => r.id)));
    return both.map((m) => ('taskId' in m
      ? fromTask(m, tag)
      : { receipt: `${m.id}.${tag}`, message: JSON.parse(m.body) as TaskMessage, receiveCount: m.receive_count + 1 }));
  }

  /** Runs the queue-table statement, or `onTask` for a task-row receipt, in one transaction; a receipt of neither kind is stale. */
  private async onReceipt(stmt: Statement, receipt: string, values: unknown[], onTask: (r: TaskReceipt) => void): Promise<void> {
    const task = parseTaskReceipt(receipt);
    if (task !== null) {
      await withLock(() => this.taskTx.immediate(onTask, task));
      return;
    }
    const id = Number.parseInt(receipt, 10);
    if (!Number.isSafeInteger(id)) return;
    await withLock(() => this.byReceipt.immediate(stmt, id, receipt, values));
  }

  /** Stale receipt: no-op. */
  extend(receipt: string, visibilityMs: number): Promise<void> {
    const until = Date.now() + visibilityMs;
    return this.onReceipt(this.sql.extend, receipt, [until], (r) => this.rows.extendIn(r, until));
  }

  /** Stale receipt: no-op. The receipt is stale afterwards. */
  release(receipt: string, delayMs: number): Promise<void> {
    const at = Date.now() + Math.max(0, delayMs);
    return this.onReceipt(this.sql.release, receipt, [at], (r) => this.rows.releaseIn(r, at));
  }

  /** Stale receipt: no-op. */
  delete(receipt: string): Promise<void> {
    return this.onReceipt(this.sql.remove, receipt, [], (r) => this.rows.deleteIn(r));
  }

  /** One transaction (a statement per source); stale receipts are skipped. */
  async deleteBatch(receipts: readonly string[]): Promise<void> {
    const live = liveReceipts(receipts);
    if (live !== null) await withLock(() => this.deleteManyTx.immediate(live));
  }

  /** deleteBatch inside the caller's transaction (sqlite-joint-ops.ts). */
  deleteIn(receipts: readonly string[]): void {
    const live = liveReceipts(receipts);
    if (live !== null) this.deleteReceipts(live);
  }

  private deleteReceipts(r: Receipts): void {
    if (r.rows !== null) this.sql.removeMany.run(r.rows, r.rows);
    this.rows.deleteManyIn(r.tasks);
  }

  /** Stale receipt: no-op (the newer delivery decides the message's fate). A task-row message moves to the queue table, dead. */
  deadLetter(receipt: string, reason: string): Promise<void> {
    return this.onReceipt(this.sql.deadLetter, receipt, [reason], (r) => this.rows.deadLetterIn(r, reason));
  }

  /** Deletes every live (not dead-lettered) message of the job, in flight or not. */
  async purgeJob(jobId: string): Promise<void> {
    await withLock(() => this.purgeTx.immediate(jobId));
  }

  /** Exact: the ids with no live message (visible, delayed or in flight) in the queue table nor in their task row. */
  async withoutMessage(jobId: string, taskIds: readonly number[]): Promise<number[]> {
    if (taskIds.length === 0) return [];
    return withLock(() => {
      const rows = this.sql.withoutMessage.all(JSON.stringify(taskIds), jobId) as { taskId: number }[];
      return rows.length === 0 ? [] : this.rows.withoutIn(jobId, JSON.stringify(rows.map((r) => r.taskId)));
    });
  }

  /** Exact counts over both sources (see the header for the definitions), read in one transaction. */
  async depth(jobId?: string): Promise<QueueDepth> {
    return withLock(() => this.depthTx(jobId));
  }


  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}

/** The receipt of task-row messages not yet marked received: hidden until `until`, delivery `tag`. */
export interface TaskMark {
  until: number;
  tag: string;
}

/** Receipts split by source: queue-table ones as a JSON array (null: none), task-row ones parsed. */
interface Receipts {
  rows: string | null;
  tasks: TaskReceipt[];
}

/** The receipts that can name a message; null if none. */
function liveReceipts(receipts: readonly string[]): Receipts | null {
  const rows: string[] = [];
  const tasks: TaskReceipt[] = [];
  for (const r of receipts) {
    const t = parseTaskReceipt(r);
    if (t !== null) tasks.push(t);
    else if (Number.isSafeInteger(Number.parseInt(r, 10))) rows.push(r);
  }
  return rows.length + tasks.length === 0 ? null : { rows: rows.length === 0 ? null : JSON.stringify(rows), tasks };
}

function fromTask(t: ReadyTask, tag: string): ReceivedMessage {
  return { receipt: taskReceipt(t.jobId, t.taskId, tag), message: { v: 1, jobId: t.jobId, taskId: t.taskId }, receiveCount: t.count + 1 };
}

function atOf(m: ReadyTask | ReadyRow): number {
  return 'at' in m ? m.at : m.visible_at;
}

/** A queue on its own database file, or on a handle shared with a state store. */
export function createSqliteTaskQueue(opts: { db: Db; pollMs?: number } | { file: string; pollMs?: number }): SqliteTaskQueue {
  return 'db' in opts
    ? new SqliteTaskQueue({ db: opts.db, pollMs: opts.pollMs })
    : new SqliteTaskQueue({ db: openDatabase(opts.file), ownsDb: true, pollMs: opts.pollMs });
}
