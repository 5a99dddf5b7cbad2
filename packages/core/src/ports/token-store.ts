/**
 * API tokens (issue 12, "Authentication and authorisation"). Part of the
 * StateStore, on both backends, so every daemon on one backend knows the
 * same tokens and `djc token` works wherever the backend is reachable.
 *
 * Glossary
 * - token: the secret a client sends (`Authorization: Bearer djc_<id>_<secret>`);
 *   shown once, at creation, and never stored.
 * - token id: 12 lowercase hex characters, public (in the token and in
 *   `djc token list`); the key the token is looked up by.
 * - secret hash: sha256 of the whole token, hex. The only stored form of the
 *   secret; compared in constant time by the authorizer.
 * - scope: read ⊂ submit ⊂ admin.
 * - live token: not revoked (it may have expired). A live token's name is
 *   unique; revoking frees it.
 */
import type { IoOptions } from './state-store.js';

export const TOKEN_SCOPES = ['read', 'submit', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenRecord {
  id: string;
  name: string;
  scope: TokenScope;
  /** sha256 of the token, 64 lowercase hex characters. */
  secretHash: string;
  /** ISO times. */
  createdAt: string;
  /** Null: never expires. */
  expiresAt: string | null;
  /** When a request last used it (kept at most about a minute stale); null: never. */
  lastUsedAt: string | null;
  /** Null while live. */
  revokedAt: string | null;
}

export type NewToken = Omit<TokenRecord, 'lastUsedAt' | 'revokedAt'>;

export interface TokenStore {
  /**
   * Stores a new live token. Atomic: ConflictError (and nothing written) if
   * its id exists (`details.taken` 'id'), or a live token has its name
   * (`details.taken` 'name').
   */
  createToken(token: NewToken, opts?: IoOptions): Promise<TokenRecord>;
  /** The token with this id (live or revoked), or null. A key lookup, strongly consistent. */
  getToken(id: string, opts?: IoOptions): Promise<TokenRecord | null>;
  /** Every token, revoked ones included, oldest first (createdAt, then id). */
  listTokens(opts?: IoOptions): Promise<TokenRecord[]>;
  /**
   * Revokes the token (revokedAt = `at`) and frees its name, atomically.
   * Idempotent: an already revoked token is returned as it is. Null if no
   * token has this id.
   */
  revokeToken(id: string, at: string, opts?: IoOptions): Promise<TokenRecord | null>;
  /**
   * Records a use: lastUsedAt = `at` unless the stored one is as late or
   * later (it never moves back). Nothing for an unknown id. One conditional
   * write; callers limit how often they call it.
   */
  touchToken(id: string, at: string, opts?: IoOptions): Promise<void>;
}
