/**
 * A job's trace identity, derived from its id alone: every process that
 * knows the job id (the coordinator, `djc run`, a local or Slurm worker, an
 * external one) computes the same trace id and the same root span id, with
 * no record to read and nothing to store on either backend. So the spans of
 * prepare, of every attempt on every worker, and of finalize land in one
 * trace under the job's root span (which the coordinator emits when the job
 * ends). W3C Trace Context ids: 16 bytes (trace) and 8 bytes (span), hex.
 */
import { createHash } from 'node:crypto';

function digest(label: string, jobId: string, hexChars: number): string {
  const hex = createHash('sha256').update(`djc:${label}:${jobId}`).digest('hex').slice(0, hexChars);
  // An all-zero id is invalid in W3C Trace Context; sha256 never gives it in practice, but make it impossible.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/** The job's trace id (32 hex chars). */
export function jobTraceId(jobId: string): string {
  return digest('trace', jobId, 32);
}

/** The span id of the job's root span (16 hex chars): the parent of its prepare, attempt and finalize spans. */
export function jobSpanId(jobId: string): string {
  return digest('span', jobId, 16);
}

/** A W3C `traceparent` header value for a sampled span. */
export function formatTraceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The ids of a W3C `traceparent` value, or null when it is not one. */
export function parseTraceparent(value: string): { traceId: string; spanId: string; sampled: boolean } | null {
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return null;
  return { traceId: m[1] as string, spanId: m[2] as string, sampled: (parseInt(m[3] as string, 16) & 1) === 1 };
}
