/**
 * Who may call the API (issue 12). The HTTP server asks `authorize` on every
 * request; this module holds no HTTP types (the contract in the i12 brief:
 * the api side declares the same types structurally).
 *
 * - unix socket: trusted by its file permissions (mode 0600): the principal
 *   is the OS user the daemon runs as, scope admin.
 * - TCP: a token, from `Authorization: Bearer <token>` or else the
 *   dashboard's cookie, checked the same way: looked up by its id, its sha256
 *   compared in constant time (token-secret.ts), then revocation, expiry and
 *   scope (admin ⊃ submit ⊃ read). No token or a bad one: 401 with a hint;
 *   too small a scope: 403 naming the scope needed; an address with repeated
 *   failures: 429 with Retry-After (failure-limiter.ts has the numbers).
 *
 * Nothing here logs, and no result carries the token: messages name the
 * token by its name only. A backend error (e.g. DynamoDB unreachable) is
 * thrown as the DjcError it is (BACKEND_UNAVAILABLE → 503), never a 401.
 */
import { userInfo } from 'node:os';
import type { Backend, TokenRecord } from '@djc/core';
import { FailureLimiter } from './failure-limiter.js';
import { tokenIdOf, tokenMatches } from './token-secret.js';

export type Scope = 'read' | 'submit' | 'admin';
export interface Principal { name: string; scope: Scope }
export interface AuthRequest {
  transport: 'unix' | 'tcp';
  /** '' on the unix socket. */
  remoteAddress: string;
  /** The Authorization header as received. */
  authorization: string | undefined;
  /** The dashboard's HttpOnly cookie value, if any. */
  cookieToken: string | undefined;
  /** What the route needs. */
  need: Scope;
}
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403 | 429; code: string; message: string; hint?: string; retryAfterS?: number };
export interface Authorizer { authorize(req: AuthRequest): Promise<AuthResult> }

const RANK: Record<Scope, number> = { read: 0, submit: 1, admin: 2 };
/** lastUsedAt is written at most once a minute per token (a write per request would double the backend's load on AWS). */
export const TOUCH_EVERY_MS = 60_000;
const CREATE_HINT = 'send "Authorization: Bearer <token>" (DJC_TOKEN for the CLI); an admin creates one with: djc token create --scope read';

type Presented = { kind: 'none' } | { kind: 'malformed' } | { kind: 'token'; token: string };

export function createAuthorizer(backend: Backend, opts: { now?: () => number } = {}): Authorizer {
  const clock = opts.now ?? Date.now;
  const limiter = new FailureLimiter();
  const osUser = currentUser();
  return {
    async authorize(req) {
      if (req.transport === 'unix') return { ok: true, principal: { name: osUser, scope: 'admin' } };
      const now = clock();
      const wait = limiter.blockedFor(req.remoteAddress, now);
      if (wait > 0) {
        const retryAfterS = Math.ceil(wait / 1000);
        return {
          ok: false, status: 429, code: 'AUTH_RATE_LIMITED', retryAfterS,
          message: `too many failed authentications from ${req.remoteAddress}; try again in ${retryAfterS}s`, hint: 'check the token (DJC_TOKEN) before retrying',
        };
      }
      const result = await checkToken(backend, req, now);
      if (!result.ok && result.status === 401 && result.code !== 'AUTH_REQUIRED') limiter.fail(req.remoteAddress, now);
      return result;
    },
  };
}

/** The verdict on a TCP request's token (no rate limiting here). */
async function checkToken(backend: Backend, req: AuthRequest, now: number): Promise<AuthResult> {
  const refuse = (code: string, message: string, hint: string): AuthResult => ({ ok: false, status: 401, code, message, hint });
  const presented = presentedToken(req);
  if (presented.kind === 'none') return refuse('AUTH_REQUIRED', 'this request needs an API token', CREATE_HINT);
  if (presented.kind === 'malformed') return refuse('AUTH_INVALID', 'the Authorization header is not "Bearer <token>"', CREATE_HINT);
  const record = await lookUp(backend, presented.token);
  if (record === null) {
    return refuse('AUTH_INVALID', 'the API token is not valid', 'check the token (DJC_TOKEN); djc token list shows the tokens that exist, djc token create makes one');
  }
  if (record.revokedAt !== null) {
    return refuse('AUTH_REVOKED', `API token "${record.name}" was revoked at ${record.revokedAt}`, 'ask an admin for a new token: djc token create');
  }
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now) {
    return refuse('AUTH_EXPIRED', `API token "${record.name}" expired at ${record.expiresAt}`, 'ask an admin for a new token: djc token create --expires 30d');
  }
  if (RANK[record.scope] < RANK[req.need]) {
    return {
      ok: false, status: 403, code: 'AUTH_FORBIDDEN', message: `API token "${record.name}" has scope ${record.scope}; this request needs scope ${req.need}`,
      hint: `use a token created with --scope ${req.need}${req.need === 'admin' ? '' : ' (or admin)'}`,
    };
  }
  await touch(backend, record, now);
  return { ok: true, principal: { name: record.name, scope: record.scope } };
}

/** The bearer token, else the cookie's; a header that is there but not a bearer token is malformed. */
function presentedToken(req: AuthRequest): Presented {
  const header = req.authorization?.trim();
  if (header !== undefined && header !== '') {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: m[1] };
  }
  const cookie = req.cookieToken?.trim();
  return cookie === undefined || cookie === '' ? { kind: 'none' } : { kind: 'token', token: cookie };
}

/** The live or dead record whose hash the token matches, or null (unknown id, malformed token, wrong secret alike). */
async function lookUp(backend: Backend, token: string): Promise<TokenRecord | null> {
  const id = tokenIdOf(token);
  if (id === null) return null;
  const record = await backend.state.getToken(id);
  return record !== null && tokenMatches(token, record.secretHash) ? record : null;
}

async function touch(backend: Backend, record: TokenRecord, now: number): Promise<void> {
  if (record.lastUsedAt !== null && now - Date.parse(record.lastUsedAt) < TOUCH_EVERY_MS) return;
  try {
    await backend.state.touchToken(record.id, new Date(now).toISOString());
  } catch {
    // "Last used" is informational: a failed write must not refuse a valid request.
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}
