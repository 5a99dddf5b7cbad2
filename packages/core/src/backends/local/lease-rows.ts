/**
 * The task rows a claim, an end and a held task's start leave, built from
 * what the write set and the few columns it returns (RETURNING those, as an
 * array: sqlite-driver's raw()), instead of RETURNING *. Every other column
 * is one the write set to a value it knows. With node:sqlite, RETURNING * as
 * an object cost ~20 µs per claim and per end (a 28-key object per row). A
 * column added to the tasks table (state-rows.ts) that a claim, an end or a
 * start does not set must be added to its RETURNS here.
 */
import type { OutputKind } from '../../model/job.js';
import type { TaskStatus } from '../../model/status.js';
import type { TaskRow } from './state-rows.js';
import type { EndValues } from './task-end-values.js';

/** What a claim returns: the columns it leaves as they were. */
export const CLAIM_RETURNS = 'attempts, attempt_floor, batch, output_key, output_kind, output_inline, records, bad, reused_from';
type ClaimReturned = [number, number, string, string | null, OutputKind | null, Uint8Array | null, number | null, number | null, string | null];

/** What the write of a claim set (sqlite-lease-ops.ts claimWrite). */
export interface ClaimSet {
  status: TaskStatus;
  owner: string;
  expiresAt: number;
  claimedAt: string;
  startedAt: string | null;
}

/** The row a claim left: `got` (CLAIM_RETURNS' values) and what it set. */
export function claimedRow(jobId: string, taskId: number, set: ClaimSet, got: unknown): TaskRow {
  const [attempts, attemptFloor, batch, outputKey, outputKind, outputInline, records, bad, reusedFrom] = got as ClaimReturned;
  return {
    job_id: jobId, task_id: taskId, status: set.status, attempts, attempt_floor: attemptFloor, batch,
    lease_owner: set.owner, lease_expires_at: set.expiresAt, not_before: null, worker: set.owner,
    error: null, failure_kind: null, exit_code: null,
    output_key: outputKey, output_kind: outputKind, output_inline: outputInline, records, bad,
    claimed_at: set.claimedAt, started_at: set.startedAt, ended_at: null, reused_from: reusedFrom, usage_json: null,
    lease_attempt: null, copy_owner: null, copy_attempt: null, copy_expires_at: null, speculation: null,
  };
}

/** What the attempt's own end (no copy, never speculated) returns: the columns it leaves or derives. */
export const END_RETURNS = 'attempts, attempt_floor, batch, claimed_at, started_at, worker, reused_from, output_inline';
/** output_inline is what the end wrote, returned as a read gives it (a fresh Uint8Array, a Buffer with better-sqlite3). */
type EndReturned = [number, number, string, string | null, string | null, string | null, string | null, Uint8Array | null];

/** The row the attempt's own end left: `got` (END_RETURNS' values) and `v`, what it wrote. */
export function endedRow(jobId: string, taskId: number, v: EndValues, got: unknown): TaskRow {
  const [attempts, attemptFloor, batch, claimedAt, startedAt, worker, reusedFrom, outputInline] = got as EndReturned;
  return {
    job_id: jobId, task_id: taskId, status: v.status, attempts, attempt_floor: attemptFloor, batch,
    lease_owner: null, lease_expires_at: null, not_before: v.notBefore, worker,
    error: v.error, failure_kind: v.kind, exit_code: v.exitCode,
    output_key: v.outputKey, output_kind: v.outputKind as OutputKind | null,
    output_inline: outputInline,
    records: v.records, bad: v.bad,
    claimed_at: claimedAt, started_at: startedAt, ended_at: v.endedAt, reused_from: reusedFrom, usage_json: v.usage,
    lease_attempt: null, copy_owner: null, copy_attempt: null, copy_expires_at: null, speculation: null,
  };
}

/** What the plain start of a held task (CLAIMED → RUNNING under its own lease, no copy) returns: every column it does not set. */
export const START_RETURNS = `attempts, attempt_floor, batch, lease_owner, lease_expires_at, not_before, worker, error, failure_kind, exit_code,
  output_key, output_kind, output_inline, records, bad, claimed_at, ended_at, reused_from, usage_json, lease_attempt, copy_attempt, copy_expires_at`;
type StartReturned = [
  number, number, string, string | null, number | null, number | null, string | null, string | null, string | null, number | null,
  string | null, OutputKind | null, Uint8Array | null, number | null, number | null, string | null, string | null, string | null, string | null,
  number | null, number | null, number | null,
];

/** The row the plain start left: RUNNING since `startedAt`, `got` (START_RETURNS' values); its WHERE said no copy, never speculated. */
export function startedRow(jobId: string, taskId: number, startedAt: string, got: unknown): TaskRow {
  const [
    attempts, attemptFloor, batch, leaseOwner, leaseExpiresAt, notBefore, worker, error, failureKind, exitCode,
    outputKey, outputKind, outputInline, records, bad, claimedAt, endedAt, reusedFrom, usage, leaseAttempt, copyAttempt, copyExpiresAt,
  ] = got as StartReturned;
  return {
    job_id: jobId, task_id: taskId, status: 'RUNNING', attempts, attempt_floor: attemptFloor, batch,
    lease_owner: leaseOwner, lease_expires_at: leaseExpiresAt, not_before: notBefore, worker,
    error, failure_kind: failureKind, exit_code: exitCode,
    output_key: outputKey, output_kind: outputKind, output_inline: outputInline, records, bad,
    claimed_at: claimedAt, started_at: startedAt, ended_at: endedAt, reused_from: reusedFrom, usage_json: usage,
    lease_attempt: leaseAttempt, copy_owner: null, copy_attempt: copyAttempt, copy_expires_at: copyExpiresAt, speculation: null,
  };
}
