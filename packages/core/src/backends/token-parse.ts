/**
 * A token record as both backends store it (snake_case columns/attributes),
 * parsed with a schema on read: stored rows cross a trust boundary. A row
 * that does not parse is an INTERNAL error naming the token id, never a
 * token that silently authorizes.
 */
import { z } from 'zod';
import { DjcError } from '../errors.js';
import { TOKEN_SCOPES, type NewToken, type TokenRecord } from '../ports/token-store.js';

const TokenRowSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  name: z.string().min(1),
  scope: z.enum(TOKEN_SCOPES),
  secret_hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  token_expires_at: z.string().nullish(),
  last_used_at: z.string().nullish(),
  revoked_at: z.string().nullish(),
});

export interface StoredToken {
  id: string;
  name: string;
  scope: string;
  secret_hash: string;
  created_at: string;
  token_expires_at: string | null;
}

/** The attributes a backend writes for a new token. */
export function storedToken(t: NewToken): StoredToken {
  if (!/^[0-9a-f]{12}$/.test(t.id) || !/^[0-9a-f]{64}$/.test(t.secretHash)) {
    throw new DjcError('INTERNAL', `token ${t.id}: malformed id or secret hash`);
  }
  return { id: t.id, name: t.name, scope: t.scope, secret_hash: t.secretHash, created_at: t.createdAt, token_expires_at: t.expiresAt };
}

/** The record of a stored row (either backend). */
export function tokenOf(row: Record<string, unknown>): TokenRecord {
  const parsed = TokenRowSchema.safeParse(row);
  if (!parsed.success) {
    throw new DjcError('INTERNAL', `the stored API token ${String(row.id)} does not parse: ${parsed.error.issues[0]?.message ?? 'unknown'}`, {
      hint: 'revoke it (djc token revoke ID) and create a new one',
    });
  }
  const r = parsed.data;
  return {
    id: r.id, name: r.name, scope: r.scope, secretHash: r.secret_hash, createdAt: r.created_at,
    expiresAt: r.token_expires_at ?? null, lastUsedAt: r.last_used_at ?? null, revokedAt: r.revoked_at ?? null,
  };
}
