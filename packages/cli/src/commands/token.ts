import { checkTokenName, createApiToken, listApiTokens, parseScope, revokeApiToken, takenOf, tokenState } from '@djc/coordinator';
import { ConflictError, DjcError, type TokenRecord } from '@djc/core';
import { withBackend, type Cli } from '../context.js';
import { table } from '../format.js';

export interface TokenCreateOptions {
  scope?: string;
  name?: string;
  /** Milliseconds (durationOption). */
  expires?: number;
}

/**
 * `djc token create --scope S [--name N] [--expires D]`: prints the token on
 * stdout, once (or in `--json`); what it is, on stderr. Only its hash is stored.
 */
export async function tokenCreateCommand(cli: Cli, o: TokenCreateOptions): Promise<number> {
  if (o.scope === undefined) {
    throw new DjcError('USAGE', 'djc token create needs --scope read, submit or admin', { hint: 'e.g. djc token create --scope read --name dashboard --expires 30d' });
  }
  // Bad input is a usage error before the backend (and a new home) opens.
  const scope = parseScope(o.scope);
  if (o.name !== undefined) checkTokenName(o.name);
  return withBackend(cli, async (backend) => {
    const { token, record } = await createApiToken(backend, { scope, name: o.name, expiresInMs: o.expires }).catch((e: unknown) => {
      // A taken name is the user's to fix (exit 2), not a bug (exit 70).
      if (e instanceof ConflictError && takenOf(e) === 'name') throw new DjcError('USAGE', e.message, { hint: e.hint, cause: e });
      throw e;
    });
    if (cli.opts.json) {
      cli.json({ ...tokenDocument(record), token });
      return 0;
    }
    cli.out(token);
    const expiry = record.expiresAt === null ? 'never expires' : `expires ${record.expiresAt}`;
    cli.err(`djc: created API token "${record.name}" (id ${record.id}, scope ${record.scope}, ${expiry}) in ${backend.location}`);
    cli.err('djc: it is shown only this once: store it now (e.g. as DJC_TOKEN); djc keeps only its hash');
    return 0;
  }, { create: true });
}

/** `djc token list`: every token (never the token or its hash), oldest first. */
export async function tokenListCommand(cli: Cli): Promise<number> {
  return withBackend(cli, async (backend) => {
    const tokens = await listApiTokens(backend);
    const now = Date.now();
    if (cli.opts.json) {
      cli.json({ tokens: tokens.map((t) => tokenDocument(t, now)) });
      return 0;
    }
    if (tokens.length === 0) {
      cli.err(`djc: no API tokens in ${backend.location} (create one with: djc token create --scope read)`);
      return 0;
    }
    const rows = tokens.map((t) => [t.id, t.name, t.scope, tokenState(t, now), t.createdAt, t.expiresAt ?? 'never', t.lastUsedAt ?? 'never']);
    cli.out(table(['ID', 'NAME', 'SCOPE', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'], rows));
    return 0;
  });
}

/** `djc token revoke NAME|ID`: the token stops working at once, on every daemon of the backend. */
export async function tokenRevokeCommand(cli: Cli, ref: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const { record, alreadyRevoked } = await revokeApiToken(backend, ref);
    if (cli.opts.json) cli.json({ ...tokenDocument(record), alreadyRevoked });
    else if (alreadyRevoked) cli.err(`djc: API token "${record.name}" (id ${record.id}) was already revoked at ${record.revokedAt ?? ''}`);
    else cli.out(`revoked API token "${record.name}" (id ${record.id})`);
    return 0;
  });
}

/** The JSON shape of a token in every command (docs/cli.md): never the token or its hash. */
function tokenDocument(t: TokenRecord, now = Date.now()) {
  return {
    id: t.id, name: t.name, scope: t.scope, state: tokenState(t, now),
    createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt,
  };
}
