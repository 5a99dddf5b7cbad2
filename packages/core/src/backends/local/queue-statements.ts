/** The prepared statements of SqliteTaskQueue's queue table, built once per handle (task-row messages: task-row-messages.ts). */
import type { Statement } from './sqlite-driver.js';
import type { Db } from './db.js';

const DEPTH = `SELECT
  coalesce(sum(dead = 0 AND visible_at <= @now), 0) AS visible,
  coalesce(sum(dead = 0 AND visible_at > @now AND receipt IS NOT NULL), 0) AS inFlight,
  coalesce(sum(dead = 0 AND visible_at > @now AND receipt IS NULL), 0) AS delayed,
  coalesce(sum(dead = 1), 0) AS dead
FROM queue`;

/** Per job: live rows through queue_job_ready, dead ones through queue_dead. */
const DEPTH_JOB = `SELECT
  coalesce(sum(visible_at <= @now), 0) AS visible,
  coalesce(sum(visible_at > @now AND receipt IS NOT NULL), 0) AS inFlight,
  coalesce(sum(visible_at > @now AND receipt IS NULL), 0) AS delayed,
  (SELECT count(*) FROM queue WHERE job_id = @jobId AND dead = 1) AS dead
FROM queue WHERE job_id = @jobId AND dead = 0`;

export class QueueStatements {
  readonly insert: Statement;
  readonly ready: Statement;
  readonly readyJob: Statement;
  readonly probe: Statement;
  readonly probeJob: Statement;
  readonly markReceived: Statement;
  readonly extend: Statement;
  readonly release: Statement;
  readonly remove: Statement;
  readonly removeMany: Statement;
  readonly deadLetter: Statement;
  readonly purge: Statement;
  readonly depth: Statement;
  readonly depthJob: Statement;
  readonly withoutMessage: Statement;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO queue (job_id, task_id, body, visible_at) VALUES (?, ?, ?, ?)');
    this.ready = db.prepare(
      'SELECT id, body, receive_count, visible_at FROM queue WHERE dead = 0 AND visible_at <= ? ORDER BY visible_at, id LIMIT ?',
    );
    this.readyJob = db.prepare(`SELECT id, body, receive_count, visible_at FROM queue
      WHERE job_id = ? AND dead = 0 AND visible_at <= ? ORDER BY visible_at, id LIMIT ?`);
    this.probe = db.prepare('SELECT 1 FROM queue WHERE dead = 0 AND visible_at <= ? LIMIT 1');
    this.probeJob = db.prepare('SELECT 1 FROM queue WHERE job_id = ? AND dead = 0 AND visible_at <= ? LIMIT 1');
    // One statement per receive: the ids as a JSON array, each receipt "<id>.<tag>" with one fresh tag per receive.
    this.markReceived = db.prepare(`UPDATE queue SET visible_at = ?, receipt = id || '.' || ?, receive_count = receive_count + 1
      WHERE id IN (SELECT value FROM json_each(?))`);
    const mine = 'WHERE id = ? AND receipt = ? AND dead = 0';
    this.extend = db.prepare(`UPDATE queue SET visible_at = ? ${mine}`);
    this.release = db.prepare(`UPDATE queue SET visible_at = ?, receipt = NULL ${mine}`);
    this.remove = db.prepare(`DELETE FROM queue ${mine}`);
    // The receipts as a JSON array, twice: a row goes when its id and its live receipt are both named
    // (a receipt starts with its row's id, so the pair matches).
    this.removeMany = db.prepare(`DELETE FROM queue WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))
      AND receipt IN (SELECT value FROM json_each(?)) AND dead = 0`);
    this.deadLetter = db.prepare(`UPDATE queue SET dead = 1, dead_reason = ?, receipt = NULL ${mine}`);
    this.purge = db.prepare('DELETE FROM queue WHERE job_id = ? AND dead = 0');
    this.depth = db.prepare(DEPTH);
    this.depthJob = db.prepare(DEPTH_JOB);
    // Ids as a JSON array (one statement for any count); the job's live rows through queue_job_ready.
    this.withoutMessage = db.prepare(`SELECT value AS taskId FROM json_each(?) WHERE value NOT IN
      (SELECT task_id FROM queue WHERE job_id = ? AND dead = 0) ORDER BY value`);
  }
}
