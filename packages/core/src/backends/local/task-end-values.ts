/** The task columns an end of an attempt writes (SqliteLeaseOps.complete), and their values. */
import type { TaskOutcome } from '../../ports/state-store.js';
import { capError } from '../../util/cap-text.js';
import { checkedInlineOutput } from '../inline-output.js';

/** What an end writes (the WHERE follows). */
export const END_SET = `UPDATE tasks SET status = @status, lease_owner = NULL, lease_expires_at = NULL,
  error = @error, failure_kind = @kind, exit_code = @exitCode, not_before = @notBefore,
  output_key = @outputKey, output_inline = @outputInline, output_kind = @outputKind, records = @records, bad = @bad,
  started_at = coalesce(@startedAt, started_at, @endedAt), ended_at = @endedAt, usage_json = @usage,
  worker = coalesce(@worker, worker), lease_attempt = NULL, copy_owner = NULL, copy_attempt = NULL, copy_expires_at = NULL,
  speculation = CASE WHEN speculation IS NULL THEN NULL WHEN @copyWon = 1 THEN 'won' ELSE 'lost' END`;

/** The columns an end writes, named as END_SET binds them (but for jobId, taskId, worker, copyWon). */
export interface EndValues {
  status: TaskOutcome['status'];
  error: string | null;
  kind: string | null;
  exitCode: number | null;
  notBefore: number | null;
  outputKey: string | null;
  outputInline: Buffer | null;
  outputKind: string | null;
  records: number | null;
  bad: number | null;
  startedAt: string | null;
  endedAt: string;
  usage: string | null;
}

/** The parameters of END_SET, in the order a positional end statement takes them (positional-params.ts), then its WHERE's. */
export const END_PARAMS = [
  'status', 'error', 'kind', 'exitCode', 'notBefore', 'outputKey', 'outputInline', 'outputKind', 'records', 'bad',
  'startedAt', 'endedAt', 'usage', 'worker', 'copyWon', 'jobId', 'taskId', 'owner', 'attempt',
] as const;

/** END_PARAMS' values, in order, for the attempt's own end (no copy: worker null, copyWon 0). */
export function plainEndParams(v: EndValues, jobId: string, taskId: number, owner: string, attempt: number): unknown[] {
  return [
    v.status, v.error, v.kind, v.exitCode, v.notBefore, v.outputKey, v.outputInline, v.outputKind, v.records, v.bad,
    v.startedAt, v.endedAt, v.usage, null, 0, jobId, taskId, owner, attempt,
  ];
}

/** The columns an end writes, named as END_SET binds them (but for jobId, taskId, worker, copyWon). */
export function endValues(outcome: TaskOutcome, inline: Buffer | null, startedAt: number | undefined): EndValues {
  const succeeded = outcome.status === 'SUCCEEDED';
  return {
    status: outcome.status,
    error: succeeded ? null : capError(outcome.error),
    kind: succeeded ? null : outcome.kind,
    exitCode: succeeded ? null : (outcome.exitCode ?? null),
    notBefore: outcome.status === 'RETRY_WAIT' ? (outcome.notBefore ?? null) : null,
    outputKey: succeeded ? (outcome.outputKey ?? null) : null,
    outputInline: inline,
    outputKind: succeeded ? outcome.outputKind : null,
    records: succeeded ? outcome.records : null,
    bad: succeeded ? (outcome.bad ?? 0) : null,
    startedAt: startedAt === undefined ? null : new Date(startedAt).toISOString(),
    endedAt: new Date().toISOString(),
    usage: outcome.usage ? JSON.stringify(outcome.usage) : null,
  };
}

/** The outcome's inline output as SQLite binds it (a Buffer), or null; refuses one over the limit. */
export function inlineOf(outcome: TaskOutcome, at: { jobId: string; taskId: number }): Buffer | null {
  const bytes = checkedInlineOutput(outcome, at);
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
