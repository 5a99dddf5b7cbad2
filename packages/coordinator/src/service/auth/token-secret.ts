/**
 * The form of an API token: `djc_<id>_<secret>`.
 * - `djc_`: a recognisable prefix, so secret scanners (and people) can tell a
 *   leaked djc token from other strings.
 * - id: 12 lowercase hex characters (48 random bits), public; the key the
 *   token is looked up by, shown by `djc token list`.
 * - secret: 32 random bytes (256 bits, crypto.randomBytes) in base64url.
 *
 * Only sha256 of the whole token is stored. A fast hash is right here, unlike
 * for passwords: a 256-bit random secret cannot be guessed, so a slow hash
 * (bcrypt, scrypt, argon2) would add no protection to a stolen hash, only a
 * CPU cost on every request, which an attacker could use to load the daemon.
 * The lookup is by id and the hashes are then compared with
 * crypto.timingSafeEqual, so the time a check takes says nothing about how
 * much of a guessed secret was right.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'djc_';
const TOKEN_RE = /^djc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewSecret {
  id: string;
  /** The token to hand to the user, once. */
  token: string;
  /** sha256 of `token`, hex: the only form stored. */
  secretHash: string;
}

/** A fresh random token, its id and its hash. */
export function newTokenSecret(): NewSecret {
  const id = randomBytes(6).toString('hex');
  const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, secretHash: hashToken(token) };
}

/** sha256 of a token, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The id of a well-formed token, or null (never throws, never echoes the text). */
export function tokenIdOf(token: string): string | null {
  return TOKEN_RE.exec(token)?.[1] ?? null;
}

/** True if `token` hashes to `storedHash`, compared in constant time. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const given = createHash('sha256').update(token, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}
