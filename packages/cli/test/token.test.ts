/**
 * `djc token create|list|revoke` as a user runs them (the built CLI, a
 * sandboxed local home): the token is printed once, only its hash is
 * stored, and bad input fails with exit 2 / 4 and a clear message.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

const TOKEN_RE = /^djc_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const box = sandboxPerTest('djc-token-');

/** Every byte under the home (the SQLite file, its WAL, blobs) as one latin1 string. */
function homeBytes(dir: string): string {
  let all = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) all += readFileSync(join(e.parentPath, e.name)).toString('latin1');
  }
  return all;
}

describe('djc token', () => {
  it('create prints the token once on stdout; the home keeps only its sha256; list never shows it', async () => {
    const created = await box.run(['token', 'create', '--scope', 'submit', '--name', 'ci', '--expires', '30d']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(created.stdout).toBe(`${token}\n`);
    const id = TOKEN_RE.exec(token)?.[1];
    expect(id).toBeDefined();
    expect(created.stderr).toContain(`created API token "ci" (id ${id}, scope submit, expires `);
    expect(created.stderr).toContain('it is shown only this once');

    const secret = token.split('_').slice(2).join('_');
    const stored = homeBytes(box.home);
    expect(stored).not.toContain(secret);
    expect(stored).toContain(createHash('sha256').update(token).digest('hex'));

    const list = await box.run(['token', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+SCOPE\s+STATE\s+CREATED\s+EXPIRES\s+LAST USED$/);
    expect(lines[1]).toMatch(new RegExp(`^${id}\\s+ci\\s+submit\\s+active\\s+\\S+Z\\s+\\S+Z\\s+never$`));
    expect(list.stdout + list.stderr).not.toContain(secret);
  });

  it('--json: create includes the token, list and revoke the documented shape without it', async () => {
    const created = await box.run(['--json', 'token', 'create', '--scope', 'read']);
    expect(created.code).toBe(0);
    const doc = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['id', 'name', 'scope', 'state', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt', 'token']);
    expect(doc).toMatchObject({ name: `token-${doc.id as string}`, scope: 'read', state: 'active', expiresAt: null, lastUsedAt: null, revokedAt: null });
    expect(doc.token).toMatch(TOKEN_RE);
    expect(created.stderr).toBe('');

    const list = await box.run(['--json', 'token', 'list']);
    const { tokens } = JSON.parse(list.stdout) as { tokens: Array<Record<string, unknown>> };
    const { token: _token, ...withoutToken } = doc;
    expect(tokens).toEqual([withoutToken]);
    expect(list.stdout).not.toContain(doc.token as string);

    const revoked = await box.run(['--json', 'token', 'revoke', doc.id as string]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: doc.id, state: 'revoked', alreadyRevoked: false, revokedAt: expect.stringMatching(/Z$/) });
  });

  it('revoke by name or id; a revoked name can be used again; revoking twice says so; unknown is exit 4', async () => {
    const first = (await box.run(['token', 'create', '--scope', 'admin', '--name', 'deploy'])).stdout.trim();
    const firstId = TOKEN_RE.exec(first)?.[1] as string;
    const byName = await box.run(['token', 'revoke', 'deploy']);
    expect(byName).toMatchObject({ code: 0, stdout: `revoked API token "deploy" (id ${firstId})\n` });

    const second = await box.run(['token', 'create', '--scope', 'read', '--name', 'deploy']);
    expect(second.code).toBe(0);
    const secondId = TOKEN_RE.exec(second.stdout.trim())?.[1] as string;

    const again = await box.run(['token', 'revoke', firstId]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`API token "deploy" \\(id ${firstId}\\) was already revoked at \\S+Z`));
    expect(await box.run(['token', 'revoke', secondId])).toMatchObject({ code: 0, stdout: `revoked API token "deploy" (id ${secondId})\n` });

    const list = (await box.run(['token', 'list'])).stdout;
    expect(list.match(/ deploy +(admin|read) +revoked /g)).toHaveLength(2);

    const unknown = await box.run(['token', 'revoke', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('djc: no API token with id or name "nope"');
    expect(unknown.stderr).toContain('hint: djc token list shows them');
    const json = await box.run(['--json', 'token', 'revoke', 'nope']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', hint: 'djc token list shows them' } });
  });

  it('bad input is exit 2 with a message and the fix, before a home is created', async () => {
    const cases: Array<[string[], string]> = [
      [['token', 'create'], 'djc token create needs --scope read, submit or admin'],
      [['token', 'create', '--scope', 'root'], '--scope must be read, submit or admin; got "root"'],
      [['token', 'create', '--scope', 'read', '--expires', 'soon'], '--expires expects a duration, from 1m to 3650d'],
      [['token', 'create', '--scope', 'read', '--expires', '10s'], '--expires expects a duration, from 1m to 3650d'],
      [['token', 'create', '--scope', 'read', '--name', 'no spaces'], 'token name "no spaces" is not allowed'],
      [['token', 'create', '--scope', 'read', '--name', '0123456789ab'], 'not 12 hex digits (those are token ids)'],
    ];
    for (const [args, message] of cases) {
      const r = await box.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('hint: ');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(box.home)).toBe(false);
  });

  it('a name a live token has is exit 2, naming the way out', async () => {
    expect((await box.run(['token', 'create', '--scope', 'read', '--name', 'ci'])).code).toBe(0);
    const taken = await box.run(['token', 'create', '--scope', 'admin', '--name', 'ci']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe('djc: an API token named "ci" exists\n  hint: choose another --name, or revoke it first: djc token revoke ci\n');
    expect((await box.run(['--json', 'token', 'list'])).stdout.match(/"name": "ci"/g)).toHaveLength(1);
  });

  it('list of a home without tokens says so on stderr and prints nothing', async () => {
    const r = await box.run(['token', 'list']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain('djc: no API tokens in');
    expect(JSON.parse((await box.run(['--json', 'token', 'list'])).stdout)).toEqual({ tokens: [] });
  });
});
