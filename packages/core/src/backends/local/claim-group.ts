/**
 * The claim of a group of PENDING tasks (SqliteLeaseOps.claimMany) as ONE
 * UPDATE over the group's ids, where it was one UPDATE per task: node:sqlite's
 * per-statement cost (bind, step, reset, the job-live subquery, a result
 * array) was most of a claim. claimTasks of 25 (start 1), 20,000 tasks, main-
 * thread CPU, load ~20: 17.8-26.9 -> 10.9-14.1 us per task on rows first
 * claimed, 15-19 -> 9-10 on rows claimed before. Not on a connection whose
 * page cache is still full from writing those rows itself (a one-process
 * bench that runs putTasks first: 17-20 -> 23-31 us): a worker's is not (it
 * is emptied by every other process's commit). The rows it writes are those
 * the one-task claim writes (CLAIM_SET); a task it did not claim
 * (RETRY_WAIT, not due, budget spent, a repeated id, a job no longer live)
 * is left to the one-task claim, which claims it or says why not.
 */
import type { TaskStatus } from '../../model/status.js';
import type { Db } from './db.js';
import { CLAIM_RETURNS } from './lease-rows.js';
import { positional, type PositionalStatement } from './positional-params.js';

/** What every claim sets besides status and started_at (the one-task claim and the group's). */
export const CLAIM_SET = `attempts = attempts + 1,
  lease_owner = @owner, lease_expires_at = @expiresAt, worker = @owner, claimed_at = @claimedAt,
  ended_at = NULL, error = NULL, failure_kind = NULL, exit_code = NULL, not_before = NULL, usage_json = NULL,
  lease_attempt = NULL, copy_owner = NULL, copy_attempt = NULL, copy_expires_at = NULL, speculation = NULL`;

/** The claim rules every claim checks in its WHERE but the task's own status and id (and the job's being live). */
export const CLAIM_DUE = '(not_before IS NULL OR not_before <= @now) AND attempts - attempt_floor < @maxAttempts';

const GROUP_PARAMS = ['jobId', 'taskIds', 'startIds', 'owner', 'expiresAt', 'claimedAt', 'now', 'maxAttempts', 'until', 'tag'] as const;

/** The task-row messages of the group, marked received by the claim's own UPDATE (task-row-messages.ts). */
export interface GroupMark {
  /** Hidden until (epoch ms). */
  until: number;
  /** The receive's tag. */
  tag: string;
}

/** The claim of one group, what the rows have in common. */
export interface GroupClaim {
  owner: string;
  expiresAt: number;
  claimedAt: string;
  now: number;
  maxAttempts: number;
}

export class ClaimGroup {
  private readonly write: PositionalStatement;
  /** The same claim, also marking each claimed row's message received (a worker's joint receive and claim). */
  private readonly writeMarked: PositionalStatement;

  constructor(db: Db, jobLive: string) {
    const starts = 'task_id IN (SELECT value FROM json_each(@startIds))';
    const write = (mark: string) => positional(db, `UPDATE tasks SET status = CASE WHEN ${starts} THEN 'RUNNING' ELSE 'CLAIMED' END,
        started_at = CASE WHEN ${starts} THEN @claimedAt ELSE NULL END, ${CLAIM_SET}${mark}
      WHERE job_id = @jobId AND task_id IN (SELECT value FROM json_each(@taskIds)) AND status = 'PENDING'
        AND ${CLAIM_DUE} AND ${jobLive}
      RETURNING task_id, status, ${CLAIM_RETURNS}`, GROUP_PARAMS);
    this.write = write('');
    this.writeMarked = write(', q_at = @until, q_receipt = @tag, q_count = q_count + 1');
  }

  /**
   * Claims the PENDING tasks of `taskIds` that may be claimed now: those of
   * `startIds` RUNNING, the others CLAIMED. Returns, by task id, the status
   * each took and the CLAIM_RETURNS values (lease-rows.ts claimedRow).
   */
  claim(jobId: string, taskIds: readonly number[], startIds: readonly number[], c: GroupClaim, mark?: GroupMark): Map<number, { status: TaskStatus; got: unknown[] }> {
    const values = [jobId, JSON.stringify(taskIds), JSON.stringify(startIds), c.owner, c.expiresAt, c.claimedAt, c.now, c.maxAttempts];
    const rows = mark === undefined ? this.write.all(values) : this.writeMarked.all([...values, mark.until, mark.tag]);
    const byId = new Map<number, { status: TaskStatus; got: unknown[] }>();
    for (const r of rows) byId.set(Number(r[0]), { status: r[1] as TaskStatus, got: r.slice(2) });
    return byId;
  }
}
