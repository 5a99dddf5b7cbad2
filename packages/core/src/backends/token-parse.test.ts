import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DjcError } from '../errors.js';
import { TOKEN_SCOPES } from '../ports/token-store.js';
import { tokenOf } from './token-parse.js';

// The zod schema tokenOf replaced (a read must not load zod): its first message is the reference.
const Reference = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  name: z.string().min(1),
  scope: z.enum(TOKEN_SCOPES),
  secret_hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  token_expires_at: z.string().nullish(),
  last_used_at: z.string().nullish(),
  revoked_at: z.string().nullish(),
});

const good = { id: '0123456789ab', name: 'ci', scope: 'submit', secret_hash: 'f'.repeat(64), created_at: '2026-12-03T00:00:00.000Z', token_expires_at: null };

describe('tokenOf', () => {
  it('reads a good row (optional times null or absent)', () => {
    expect(tokenOf({ ...good, last_used_at: '2026-12-04T00:00:00.000Z', extra: 1 })).toEqual({
      id: good.id, name: 'ci', scope: 'submit', secretHash: good.secret_hash, createdAt: good.created_at,
      expiresAt: null, lastUsedAt: '2026-12-04T00:00:00.000Z', revokedAt: null,
    });
    expect(Reference.safeParse(good).success).toBe(true);
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['id a number', { ...good, id: 12 }],
    ['id not hex', { ...good, id: 'zz' }],
    ['id missing', { ...good, id: undefined }],
    ['name empty', { ...good, name: '' }],
    ['name null', { ...good, name: null }],
    ['name an object', { ...good, name: {} }],
    ['name an array', { ...good, name: [] }],
    ['scope unknown', { ...good, scope: 'root' }],
    ['scope a number', { ...good, scope: 1 }],
    ['secret hash short', { ...good, secret_hash: 'abc' }],
    ['created_at a bigint', { ...good, created_at: 1n }],
    ['created_at a boolean', { ...good, created_at: true }],
    ['created_at NaN', { ...good, created_at: Number.NaN }],
    ['created_at Infinity', { ...good, created_at: Number.POSITIVE_INFINITY }],
    ['expiry a number', { ...good, token_expires_at: 5 }],
    ['last use a Buffer', { ...good, last_used_at: Buffer.from('x') }],
    ['revoked a number', { ...good, revoked_at: 0 }],
    ['two problems: the first is named', { ...good, name: '', scope: 'x' }],
  ];
  it.each(bad)('%s: INTERNAL, with the message zod gave', (_, row) => {
    const expected = Reference.safeParse(row);
    expect(expected.success).toBe(false);
    let thrown: unknown;
    try {
      tokenOf(row);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DjcError);
    expect((thrown as DjcError).code).toBe('INTERNAL');
    expect((thrown as DjcError).message).toBe(`the stored API token ${String(row.id)} does not parse: ${expected.error!.issues[0]!.message}`);
  });
});
