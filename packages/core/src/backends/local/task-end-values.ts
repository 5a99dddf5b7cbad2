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
export function endValues(outcome: TaskOutcome, inline: Buffer | null, startedAt: number | undefined): Record<string, unknown> {
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
