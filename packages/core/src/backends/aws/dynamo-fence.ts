/**
 * Per-job coordination fencing on the job item: a write made under a claim
 * (`fence`, the epoch claimJob gave) carries the condition
 * `coordinator_epoch = fence`; when that condition is what failed, the
 * item's image (ALL_OLD) says so and the write becomes a FencedError.
 */
import { FencedError } from '../../errors.js';
import type { ExprBuilder } from './dynamo-expressions.js';
import type { Item } from './dynamo-request.js';

/** ` AND #coordinator_epoch = :f` for a fenced write, '' otherwise (appended to the write's condition). */
export function fenceCondition(b: ExprBuilder, fence: number | undefined): string {
  return fence === undefined ? '' : ` AND ${b.eq('coordinator_epoch', fence)}`;
}

/** The FencedError of a failed conditional write whose job item (as it was) holds another epoch; null otherwise. */
export function fencedBy(jobId: string, fence: number | undefined, item: Item | null | undefined): FencedError | null {
  if (fence === undefined || !item) return null;
  const epoch = typeof item.coordinator_epoch === 'number' ? item.coordinator_epoch : 0;
  return epoch === fence ? null : new FencedError(jobId, fence, epoch);
}
