/** The coordinator lock's rule, shared by both backends so they decide alike. */
import type { CoordinatorInfo, LockClaim } from '../ports/state-store.js';

/**
 * The epoch `claim` holds the lock at if it may take it now: the same on a
 * renewal (it holds it already), one more on a takeover (no holder, an
 * expired or released one, or the dead holder `claim.replacing` names), or
 * null when another owner holds it.
 */
export function epochAfter(cur: CoordinatorInfo | null, claim: LockClaim, now: number): number | null {
  if (cur === null) return 1;
  if (cur.owner === claim.owner) return cur.epoch;
  const dead = claim.replacing !== undefined && claim.replacing.owner === cur.owner && claim.replacing.epoch === cur.epoch;
  return cur.expiresAt < now || dead ? cur.epoch + 1 : null;
}
