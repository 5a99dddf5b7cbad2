/**
 * The token actions behind `djc token create|list|revoke` (and, later, the
 * API's admin routes): one function per action, on any backend.
 */
import { ConflictError, DjcError, TOKEN_SCOPES, type Backend, type TokenRecord, type TokenScope } from '@djc/core';
import { newTokenSecret } from './token-secret.js';

export interface CreateTokenOptions {
  scope: string;
  /** Default `token-<id>`. */
  name?: string;
  /** Milliseconds from now; undefined: never expires. */
  expiresInMs?: number;
  now?: number;
}

/** What `djc token create` shows: the record (never the hash) and the token, once. */
export interface CreatedToken {
  token: string;
  record: TokenRecord;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A scope given by a user, or USAGE naming the three. */
export function parseScope(text: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(text)) return text as TokenScope;
  throw new DjcError('USAGE', `--scope must be read, submit or admin; got "${text}"`, {
    hint: 'read: GET routes; submit: also submit, cancel, retry, pause, resume, priority; admin: also tokens and the daemon',
  });
}

/** A token name given by a user, or USAGE saying what a name may hold. */
export function checkTokenName(name: string): string {
  if (!NAME_RE.test(name) || /^[0-9a-f]{12}$/.test(name)) {
    throw new DjcError('USAGE', `token name "${name}" is not allowed: 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit), not 12 hex digits (those are token ids)`, {
      hint: 'e.g. --name ci-deploy',
    });
  }
  return name;
}

export async function createApiToken(backend: Backend, opts: CreateTokenOptions): Promise<CreatedToken> {
  const scope = parseScope(opts.scope);
  if (opts.name !== undefined) checkTokenName(opts.name);
  const now = opts.now ?? Date.now();
  for (let attempt = 1; ; attempt++) {
    const secret = newTokenSecret();
    try {
      const record = await backend.state.createToken({
        id: secret.id,
        name: opts.name ?? `token-${secret.id}`,
        scope,
        secretHash: secret.secretHash,
        createdAt: new Date(now).toISOString(),
        expiresAt: opts.expiresInMs === undefined ? null : new Date(now + opts.expiresInMs).toISOString(),
      });
      return { token: secret.token, record };
    } catch (e) {
      // 48 random bits of id: a collision is rare; a fresh token settles it.
      if (!(e instanceof ConflictError) || takenOf(e) !== 'id' || attempt >= 3) throw e;
    }
  }
}

/** Which unique thing a token ConflictError says is taken: 'id' or 'name'. */
export function takenOf(e: ConflictError): unknown {
  return (e.details as { taken?: unknown } | undefined)?.taken;
}

export function listApiTokens(backend: Backend): Promise<TokenRecord[]> {
  return backend.state.listTokens();
}

/**
 * Revokes the token with this id, else the live token with this name.
 * NOT_FOUND if neither; `alreadyRevoked` when it was revoked before.
 */
export async function revokeApiToken(backend: Backend, ref: string, now = Date.now()): Promise<{ record: TokenRecord; alreadyRevoked: boolean }> {
  const tokens = await backend.state.listTokens();
  const target = tokens.find((t) => t.id === ref) ?? tokens.find((t) => t.name === ref && t.revokedAt === null);
  if (target === undefined) {
    throw new DjcError('NOT_FOUND', `no API token with id or name "${ref}" in ${backend.location}`, { hint: 'djc token list shows them' });
  }
  if (target.revokedAt !== null) return { record: target, alreadyRevoked: true };
  const record = await backend.state.revokeToken(target.id, new Date(now).toISOString());
  if (record === null) throw new DjcError('NOT_FOUND', `API token ${target.id} disappeared while it was revoked`, { hint: 'djc token list shows them' });
  return { record, alreadyRevoked: false };
}

/** The state of a token at `now`: what `djc token list` shows. */
export function tokenState(t: TokenRecord, now = Date.now()): 'active' | 'expired' | 'revoked' {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && Date.parse(t.expiresAt) <= now) return 'expired';
  return 'active';
}
