/**
 * Slows down repeated authentication failures from one address (per daemon
 * process, in memory).
 *
 * The numbers:
 * - a failure is a request with an invalid, expired or revoked token (a
 *   request with no token at all is not: it guesses nothing);
 * - failures are counted over the last 60 s; the 5th within 60 s blocks the
 *   address for 1 s, and from then on each further failure (once a block is
 *   over) blocks it twice as long as the one before: 1, 2, 4, … 256 s, then
 *   300 s at most; a guesser gets 5 tries, then 1 per block, at worst 1
 *   every 5 minutes;
 * - while blocked, every request of the address is refused (429, Retry-After:
 *   the seconds left) before its token is even looked at, so a guesser gets
 *   at most 5 tries a minute and then fewer and fewer;
 * - 15 minutes without a failure forget the address (the delays start from
 *   1 s again). At most 10,000 addresses are kept; the oldest go first.
 * A success does not clear the count: a valid token does not license
 * guessing others.
 */

export const FAILURE_WINDOW_MS = 60_000;
export const FAILURES_BEFORE_BLOCK = 5;
export const MAX_BLOCK_MS = 300_000;
export const FORGET_AFTER_MS = 15 * 60_000;
const MAX_ADDRESSES = 10_000;

interface AddressState {
  failures: number[];
  strikes: number;
  blockedUntil: number;
  lastFailure: number;
}

export class FailureLimiter {
  private readonly byAddress = new Map<string, AddressState>();

  /** Milliseconds the address must still wait (0: not blocked). */
  blockedFor(address: string, now: number): number {
    const s = this.live(address, now);
    return s === undefined ? 0 : Math.max(0, s.blockedUntil - now);
  }

  /** Counts a failure; returns how long the address is now blocked (0: not). */
  fail(address: string, now: number): number {
    const key = normalize(address);
    const s = this.live(key, now) ?? { failures: [], strikes: 0, blockedUntil: 0, lastFailure: now };
    s.failures = s.failures.filter((t) => t > now - FAILURE_WINDOW_MS);
    s.failures.push(now);
    s.lastFailure = now;
    if (s.strikes > 0 || s.failures.length >= FAILURES_BEFORE_BLOCK) {
      s.blockedUntil = now + Math.min(MAX_BLOCK_MS, 1000 * 2 ** s.strikes);
      s.strikes = Math.min(s.strikes + 1, 30);
    }
    this.byAddress.delete(key);
    this.byAddress.set(key, s);
    if (this.byAddress.size > MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value as string);
    return Math.max(0, s.blockedUntil - now);
  }

  private live(address: string, now: number): AddressState | undefined {
    const key = normalize(address);
    const s = this.byAddress.get(key);
    if (s !== undefined && now - s.lastFailure >= FORGET_AFTER_MS && s.blockedUntil <= now) {
      this.byAddress.delete(key);
      return undefined;
    }
    return s;
  }
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is `10.0.0.1`. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
