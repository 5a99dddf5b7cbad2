/**
 * StateStore contract, API tokens (ports/token-store.ts): create, look up,
 * list, revoke and touch, the same on every backend.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../ports/state-store.js';
import type { NewToken } from '../ports/token-store.js';
import { rejectionOf } from './fixtures.js';
import { expectConflict } from './contract-harness.js';

const T0 = '2030-01-01T00:00:00.000Z';

function newToken(over: Partial<NewToken> = {}): NewToken {
  return {
    id: randomBytes(6).toString('hex'),
    name: `t-${randomBytes(3).toString('hex')}`,
    scope: 'read',
    secretHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
    createdAt: T0,
    expiresAt: null,
    ...over,
  };
}

export function describeTokenCases(store: () => StateStore): void {
  describe('API tokens', () => {
    it('createToken stores a live token, read back by id with nothing used or revoked', async () => {
      const t = newToken({ scope: 'submit', expiresAt: '2030-02-01T00:00:00.000Z' });
      const created = await store().createToken(t);
      expect(created).toEqual({ ...t, lastUsedAt: null, revokedAt: null });
      expect(await store().getToken(t.id)).toEqual(created);
      expect(await store().getToken('0123456789ab')).toBeNull();
    });

    it('refuses a second token with a live name or an existing id, and writes nothing', async () => {
      const a = await store().createToken(newToken({ name: 'ci' }));
      const byName = expectConflict(await rejectionOf(store().createToken(newToken({ name: 'ci' }))));
      expect(byName.message).toBe('an API token named "ci" exists');
      expect(byName.hint).toContain('djc token revoke ci');
      expect(byName.details).toEqual({ taken: 'name' });
      const byId = expectConflict(await rejectionOf(store().createToken(newToken({ id: a.id, name: 'other' }))));
      expect(byId.details).toEqual({ taken: 'id' });
      expect((await store().listTokens()).map((t) => t.name)).toEqual(['ci']);
    });

    it('lists every token oldest first, revoked ones included', async () => {
      const c = await store().createToken(newToken({ createdAt: '2030-01-03T00:00:00.000Z', name: 'c' }));
      const a = await store().createToken(newToken({ createdAt: '2030-01-01T00:00:00.000Z', name: 'a', scope: 'admin' }));
      const b = await store().createToken(newToken({ createdAt: '2030-01-02T00:00:00.000Z', name: 'b' }));
      await store().revokeToken(b.id, '2030-01-04T00:00:00.000Z');
      const listed = await store().listTokens();
      expect(listed.map((t) => [t.name, t.scope, t.revokedAt])).toEqual([
        ['a', 'admin', null], ['b', 'read', '2030-01-04T00:00:00.000Z'], ['c', 'read', null],
      ]);
      expect(listed[0]).toEqual(await store().getToken(a.id));
      expect(listed[2]?.secretHash).toBe(c.secretHash);
    });

    it('revokeToken marks it revoked once, frees its name, and is null for an unknown id', async () => {
      const t = await store().createToken(newToken({ name: 'deploy' }));
      const revoked = await store().revokeToken(t.id, '2030-01-05T00:00:00.000Z');
      expect(revoked).toEqual({ ...t, revokedAt: '2030-01-05T00:00:00.000Z' });
      expect(await store().getToken(t.id)).toEqual(revoked);
      // Idempotent: a second revoke keeps the first time.
      expect(await store().revokeToken(t.id, '2030-01-06T00:00:00.000Z')).toEqual(revoked);
      // The name is free again, and the old token stays revoked.
      const again = await store().createToken(newToken({ name: 'deploy' }));
      expect((await store().getToken(again.id))?.revokedAt).toBeNull();
      expect((await store().getToken(t.id))?.revokedAt).toBe('2030-01-05T00:00:00.000Z');
      expect(await store().revokeToken('0123456789ab', T0)).toBeNull();
    });

    it('concurrent revokes of one token agree on one time', async () => {
      const t = await store().createToken(newToken());
      const times = ['2030-01-07T00:00:00.000Z', '2030-01-08T00:00:00.000Z', '2030-01-09T00:00:00.000Z'];
      const results = await Promise.all(times.map((at) => store().revokeToken(t.id, at)));
      const stored = (await store().getToken(t.id))?.revokedAt;
      expect(times).toContain(stored);
      expect(results.every((r) => r?.revokedAt === stored)).toBe(true);
    });

    it('touchToken moves lastUsedAt forward only, and ignores an unknown id', async () => {
      const t = await store().createToken(newToken());
      await store().touchToken(t.id, '2030-01-02T00:00:00.000Z');
      expect((await store().getToken(t.id))?.lastUsedAt).toBe('2030-01-02T00:00:00.000Z');
      await store().touchToken(t.id, '2030-01-01T12:00:00.000Z');
      expect((await store().getToken(t.id))?.lastUsedAt).toBe('2030-01-02T00:00:00.000Z');
      await store().touchToken(t.id, '2030-01-03T00:00:00.000Z');
      expect(await store().getToken(t.id)).toEqual({ ...t, lastUsedAt: '2030-01-03T00:00:00.000Z' });
      await store().touchToken('0123456789ab', T0);
      expect(await store().getToken('0123456789ab')).toBeNull();
    });
  });
}
