/**
 * A token record as both backends store it (snake_case columns/attributes),
 * checked on read: stored rows cross a trust boundary. A row that does not
 * parse is an INTERNAL error naming the token id, never a token that
 * silently authorizes.
 *
 * Checked by hand, not with zod: the local backend's token store is opened
 * by every CLI read, and zod (a 790 kB chunk) was the largest module a read
 * loaded for it (issue 14). The messages are zod's for the same schema
 * (token-parse.test.ts compares them).
 */
import { DjcError } from '../errors.js';
import { TOKEN_SCOPES, type NewToken, type TokenRecord, type TokenScope } from '../ports/token-store.js';
import { badValue, isPlainObject } from './stored-shape.js';

const ID = /^[0-9a-f]{12}$/;
const SECRET_HASH = /^[0-9a-f]{64}$/;

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
  if (!ID.test(t.id) || !SECRET_HASH.test(t.secretHash)) {
    throw new DjcError('INTERNAL', `token ${t.id}: malformed id or secret hash`);
  }
  return { id: t.id, name: t.name, scope: t.scope, secret_hash: t.secretHash, created_at: t.createdAt, token_expires_at: t.expiresAt };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? null : badValue('string', v));
const pattern = (v: unknown, re: RegExp): string | null => str(v) ?? (re.test(v as string) ? null : `Invalid string: must match pattern ${re}`);
const optionalStr = (v: unknown): string | null => (v === undefined || v === null ? null : str(v));

/** The first problem of a stored row, in the order of its fields (the message zod gave), or null. */
function rowProblem(row: unknown): string | null {
  if (!isPlainObject(row)) return badValue('object', row);
  return pattern(row.id, ID)
    ?? (str(row.name) ?? ((row.name as string).length >= 1 ? null : 'Too small: expected string to have >=1 characters'))
    ?? ((TOKEN_SCOPES as readonly unknown[]).includes(row.scope) ? null : `Invalid option: expected one of ${TOKEN_SCOPES.map((s) => JSON.stringify(s)).join('|')}`)
    ?? pattern(row.secret_hash, SECRET_HASH)
    ?? str(row.created_at)
    ?? optionalStr(row.token_expires_at)
    ?? optionalStr(row.last_used_at)
    ?? optionalStr(row.revoked_at);
}

/** The record of a stored row (either backend). */
export function tokenOf(row: Record<string, unknown>): TokenRecord {
  const problem = rowProblem(row);
  if (problem !== null) {
    throw new DjcError('INTERNAL', `the stored API token ${String(row.id)} does not parse: ${problem}`, {
      hint: 'revoke it (djc token revoke ID) and create a new one',
    });
  }
  const r = row as Record<string, string | null | undefined>;
  return {
    id: r.id!, name: r.name!, scope: r.scope as TokenScope, secretHash: r.secret_hash!, createdAt: r.created_at!,
    expiresAt: r.token_expires_at ?? null, lastUsedAt: r.last_used_at ?? null, revokedAt: r.revoked_at ?? null,
  };
}
