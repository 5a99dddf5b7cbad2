/**
 * The local queue's plain task messages ({ v: 1, jobId, taskId }, no
 * copyOf) kept in their task rows (migration 23), not in the queue table:
 * such a message says nothing the row cannot (its job, its id), so it costs
 * no queue row, no queue index entries and no JSON body; a worker's receive
 * and claim write the row they claim, its end and ack the row they end.
 *
 * A task row holds at most ONE message: q_at (when it is visible; NULL: no
 * live message), q_receipt (the tag of its live delivery; NULL: not in
 * flight) and q_count (its receive count). Indexed by tasks_messages
 * (job_id, q_at, task_id) WHERE q_at IS NOT NULL: a job's ready messages in
 * visible order, and nothing for a task without one (most ended tasks).
 *
 * A send for a task whose row exists sets its message: visible at the
 * earlier of the live one's time and now + delay (two messages for a task
 * are one: the claim would drop the second anyway), and a NEW delivery: the
 * receipt is cleared, so the old receiver's extend, release, delete and
 * deadLetter are no-ops and cannot remove what was just sent (a reclaimed
 * task's retry message while its lost worker still acks). Every other
 * message (a copy's, one for a task with no row, a dead letter) stays in the
 * queue table (sqlite-task-queue.ts): deadLetter moves a task-row message
 * there, dead, so depth and `djc` see it as before.
 *
 * A task-row receipt is "t<taskId>.<tag>.<jobId>" (the tag: 12 base64url
 * characters, no "."); a queue-table receipt starts with its row id (a digit).
 */
import type { Statement } from './sqlite-driver.js';
import type { Db } from './db.js';

/** A task-row message ready to be received. */
export interface ReadyTask {
  jobId: string;
  taskId: number;
  count: number;
  at: number;
}

/** A task-row receipt, parsed. */
export interface TaskReceipt {
  jobId: string;
  taskId: number;
  tag: string;
}

const TAG_LENGTH = 12;

export function taskReceipt(jobId: string, taskId: number, tag: string): string {
  return `t${taskId}.${tag}.${jobId}`;
}

/** The parts of a task-row receipt; null for anything else (a queue-table receipt, a stale or foreign string). */
export function parseTaskReceipt(receipt: string): TaskReceipt | null {
  if (receipt.charCodeAt(0) !== 116 /* t */) return null;
  const dot = receipt.indexOf('.');
  const taskId = Number(receipt.slice(1, dot));
  if (dot < 2 || !Number.isSafeInteger(taskId) || receipt.charAt(dot + 1 + TAG_LENGTH) !== '.') return null;
  const jobId = receipt.slice(dot + 2 + TAG_LENGTH);
  return jobId === '' ? null : { jobId, taskId, tag: receipt.slice(dot + 1, dot + 1 + TAG_LENGTH) };
}

const BY_INDEX = 'tasks INDEXED BY tasks_messages';

export class TaskRowMessages {
  private readonly send: Statement;
  private readonly readyJob: Statement;
  private readonly probeJob: Statement;
  private readonly heads: Statement;
  private readonly probeAll: Statement;
  private readonly mark: Statement;
  private readonly extend: Statement;
  private readonly release: Statement;
  private readonly remove: Statement;
  private readonly removeMany: Statement;
  private readonly bury: Statement;
  private readonly purge: Statement;
  private readonly visibleJob: Statement;
  private readonly laterJob: Statement;
  private readonly visibleAll: Statement;
  private readonly laterAll: Statement;
  private readonly without: Statement;

  constructor(db: Db) {
    // A new delivery: the receipt goes (stale for its old receiver); the earlier visible time stays.
    this.send = db.prepare(`UPDATE tasks SET q_at = CASE WHEN q_at IS NULL THEN @at ELSE min(q_at, @at) END,
        q_count = CASE WHEN q_at IS NULL OR q_receipt IS NOT NULL THEN 0 ELSE q_count END, q_receipt = NULL
      WHERE job_id = @jobId AND task_id IN (SELECT value FROM json_each(@ids)) RETURNING task_id`).pluck();
    this.readyJob = db.prepare(`SELECT task_id, q_count, q_at FROM ${BY_INDEX}
      WHERE job_id = ? AND q_at IS NOT NULL AND q_at <= ? ORDER BY q_at, task_id LIMIT ?`).raw();
    this.probeJob = db.prepare(`SELECT 1 FROM ${BY_INDEX} WHERE job_id = ? AND q_at IS NOT NULL AND q_at <= ? LIMIT 1`);
    // The jobs with a message visible now, the one visible longest first: a loose scan of tasks_messages (two
    // index seeks per job with a live message), not a scan of every live message.
    const jobsWithHeads = `WITH RECURSIVE j(id) AS (
        SELECT (SELECT min(job_id) FROM ${BY_INDEX} WHERE q_at IS NOT NULL)
        UNION ALL SELECT (SELECT min(job_id) FROM ${BY_INDEX} WHERE q_at IS NOT NULL AND job_id > j.id) FROM j WHERE j.id IS NOT NULL)
      SELECT id, head FROM (SELECT id, (SELECT min(q_at) FROM ${BY_INDEX} WHERE job_id = j.id AND q_at IS NOT NULL) AS head
        FROM j WHERE id IS NOT NULL) WHERE head <= ?`;
    this.heads = db.prepare(`${jobsWithHeads} ORDER BY head, id`).raw();
    // The same scan, stopped at the first job with a visible message (the scan runs as a co-routine).
    this.probeAll = db.prepare(`${jobsWithHeads} LIMIT 1`);
    this.mark = db.prepare(`UPDATE tasks SET q_at = ?, q_receipt = ?, q_count = q_count + 1
      WHERE job_id = ? AND task_id IN (SELECT value FROM json_each(?))`);
    const mine = 'WHERE job_id = ? AND task_id = ? AND q_receipt = ?';
    this.extend = db.prepare(`UPDATE tasks SET q_at = ? ${mine}`);
    this.release = db.prepare(`UPDATE tasks SET q_at = ?, q_receipt = NULL ${mine}`);
    this.remove = db.prepare(`UPDATE tasks SET q_at = NULL, q_receipt = NULL ${mine}`);
    // The deliveries of one receive (one tag), task ids as a JSON array: a primary-key seek each. A row value
    // IN over [jobId, taskId, tag] triples cost 2-3 times as much per ack (micro, 25 acks per statement).
    this.removeMany = db.prepare(`UPDATE tasks SET q_at = NULL, q_receipt = NULL
      WHERE job_id = ? AND task_id IN (SELECT value FROM json_each(?)) AND q_receipt = ?`);
    this.bury = db.prepare(`INSERT INTO queue (job_id, task_id, body, visible_at, receive_count, dead, dead_reason)
      SELECT job_id, task_id, json_object('v', 1, 'jobId', job_id, 'taskId', task_id), q_at, q_count, 1, ? FROM tasks ${mine}`);
    this.purge = db.prepare(`UPDATE ${BY_INDEX} SET q_at = NULL, q_receipt = NULL WHERE job_id = ? AND q_at IS NOT NULL`);
    // Depth: visible ones counted on the index alone; the others (in flight or delayed: few) read their receipt.
    this.visibleJob = db.prepare(`SELECT count(*) FROM ${BY_INDEX} WHERE job_id = ? AND q_at IS NOT NULL AND q_at <= ?`).pluck();
    this.laterJob = db.prepare(`SELECT coalesce(sum(q_receipt IS NOT NULL), 0), coalesce(sum(q_receipt IS NULL), 0)
      FROM ${BY_INDEX} WHERE job_id = ? AND q_at > ?`).raw();
    this.visibleAll = db.prepare(`SELECT count(*) FROM ${BY_INDEX} WHERE q_at IS NOT NULL AND q_at <= ?`).pluck();
    this.laterAll = db.prepare(`SELECT coalesce(sum(q_receipt IS NOT NULL), 0), coalesce(sum(q_receipt IS NULL), 0)
      FROM ${BY_INDEX} WHERE q_at > ?`).raw();
    this.without = db.prepare(`SELECT value FROM json_each(?) j WHERE NOT EXISTS
      (SELECT 1 FROM tasks WHERE job_id = ? AND task_id = j.value AND q_at IS NOT NULL) ORDER BY value`).pluck();
  }

  /** Sets the message of each of `taskIds` whose row exists, visible at `at`; the ids set. */
  sendIn(jobId: string, taskIds: readonly number[], at: number): Set<number> {
    return new Set(this.send.all({ jobId, ids: JSON.stringify(taskIds), at }) as number[]);
  }

  /** The jobs with a message visible at `now`, the one whose oldest visible message is oldest first. */
  private readyJobs(now: number): string[] {
    return (this.heads.all(now) as [string, number][]).map((r) => r[0]);
  }

  /** Whether a message of `jobId` (of any job) is visible at `now`. */
  anyReady(jobId: string | undefined, now: number): boolean {
    return (jobId === undefined ? this.probeAll.get(now) : this.probeJob.get(jobId, now)) !== undefined;
  }

  /**
   * Up to `max` visible messages of `jobId`, oldest-visible first. Of every
   * job: the job whose oldest visible message is oldest first, its
   * messages in order, then the next job's (not one order over every job's
   * messages: that would read each job's up to `max`, or sort them all).
   */
  ready(jobId: string | undefined, now: number, max: number): ReadyTask[] {
    const out: ReadyTask[] = [];
    for (const j of jobId === undefined ? this.readyJobs(now) : [jobId]) {
      for (const r of this.readyJob.all(j, now, max - out.length) as [number, number, number][]) out.push({ jobId: j, taskId: r[0], count: r[1], at: r[2] });
      if (out.length >= max) break;
    }
    return out;
  }

  /** Marks `got` received: hidden until `until`, its delivery `tag`. */
  markReceived(got: readonly ReadyTask[], until: number, tag: string): void {
    const byJob = new Map<string, number[]>();
    for (const t of got) {
      const ids = byJob.get(t.jobId);
      if (ids) ids.push(t.taskId);
      else byJob.set(t.jobId, [t.taskId]);
    }
    for (const [jobId, ids] of byJob) this.mark.run(until, tag, jobId, JSON.stringify(ids));
  }

  extendIn(r: TaskReceipt, until: number): void {
    this.extend.run(until, r.jobId, r.taskId, r.tag);
  }

  releaseIn(r: TaskReceipt, at: number): void {
    this.release.run(at, r.jobId, r.taskId, r.tag);
  }

  deleteIn(r: TaskReceipt): void {
    this.remove.run(r.jobId, r.taskId, r.tag);
  }

  /** Deletes the live deliveries among `receipts`, one statement per receive they came from; stale ones change nothing. */
  deleteManyIn(receipts: readonly TaskReceipt[]): void {
    if (receipts.length === 1) return this.deleteIn(receipts[0] as TaskReceipt);
    const byReceive = new Map<string, TaskReceipt[]>();
    for (const r of receipts) {
      const key = `${r.tag}.${r.jobId}`;
      const same = byReceive.get(key);
      if (same) same.push(r);
      else byReceive.set(key, [r]);
    }
    for (const same of byReceive.values()) {
      const { jobId, tag } = same[0] as TaskReceipt;
      this.removeMany.run(jobId, JSON.stringify(same.map((r) => r.taskId)), tag);
    }
  }

  /** Moves the live delivery to the queue table's dead letters. */
  deadLetterIn(r: TaskReceipt, reason: string): void {
    if (this.bury.run(reason, r.jobId, r.taskId, r.tag).changes > 0) this.deleteIn(r);
  }

  purgeIn(jobId: string): void {
    this.purge.run(jobId);
  }

  /** visible, inFlight, delayed of the task-row messages (of `jobId`, or all). */
  depth(jobId: string | undefined, now: number): [number, number, number] {
    const visible = (jobId === undefined ? this.visibleAll.get(now) : this.visibleJob.get(jobId, now)) as number;
    const later = (jobId === undefined ? this.laterAll.get(now) : this.laterJob.get(jobId, now)) as [number, number];
    return [visible, later[0], later[1]];
  }

  /** Of `taskIds` (a JSON array), those whose row holds no live message, in id order. */
  withoutIn(jobId: string, taskIdsJson: string): number[] {
    return this.without.all(taskIdsJson, jobId) as number[];
  }
}
