/**
 * What the service asks before serving a request: the `Authorizer`
 * contract (issue 12). The implementation (tokens, scopes, slowing down
 * failures) lives in ./auth/; these structural types match it.
 */
export type Scope = 'read' | 'submit' | 'admin';

/** admin ⊃ submit ⊃ read. */
export const SCOPE_RANK: Record<Scope, number> = { read: 0, submit: 1, admin: 2 };

export interface Principal {
  /** The token's name, or the OS user on the unix socket. */
  name: string;
  scope: Scope;
}

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

export interface Authorizer {
  authorize(req: AuthRequest): Promise<AuthResult>;
}
