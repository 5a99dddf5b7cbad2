/**
 * The authorizer against real backends: the local SQLite home and the AWS
 * backend on DynamoDB Local + fauxqs. Time is the authorizer's `now`
 * option, so expiry, "last used" and the slowing down of failures are
 * checked without waiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { countJobRequests, createAwsBackend, resolveAwsSettings, setupAws, type AwsClients } from '@djc/core/backends/aws';
import { dynamoClient, type DynamoDbLocal } from '../../../../core/src/testing/aws-dynamodb-local.js';
import { sharedDynamoDbLocal } from '../../../../core/src/testing/aws-dynamodb-shared.js';
import { s3Client, sqsClient, startFauxqsServer, uniqueName, type FauxqsServer } from '../../../../core/src/testing/aws-fauxqs.js';
import { createApiToken, revokeApiToken } from './api-tokens.js';
import { createAuthorizer, TOUCH_EVERY_MS, type AuthRequest, type AuthResult, type Scope } from './authorizer.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

function tcp(token: string | undefined, need: Scope, over: Partial<AuthRequest> = {}): AuthRequest {
  return { transport: 'tcp', remoteAddress: '192.0.2.10', authorization: token === undefined ? undefined : `Bearer ${token}`, cookieToken: undefined, need, ...over };
}

function refusal(r: AuthResult): Extract<AuthResult, { ok: false }> {
  if (r.ok) throw new Error(`expected a refusal, got principal ${r.principal.name}`);
  return r;
}

let dynamo: DynamoDbLocal | undefined;
let fauxqs: FauxqsServer | undefined;

function awsClients(): AwsClients {
  const c = { dynamo: dynamoClient(dynamo!.endpoint), s3: s3Client(fauxqs!.endpoint), sqs: sqsClient(fauxqs!.endpoint) };
  return { ...c, requests: countJobRequests({ DynamoDB: c.dynamo, S3: c.s3, SQS: c.sqs }), destroy: () => { c.dynamo.destroy(); c.s3.destroy(); c.sqs.destroy(); } };
}

const backends: Array<[string, () => Promise<{ backend: Backend; cleanup(): void }>]> = [
  ['local (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'djc-auth-'));
    return { backend: createLocalBackend({ home: join(dir, '.djc') }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }],
  ['aws (DynamoDB Local)', async () => {
    const n = uniqueName('auth');
    const s = resolveAwsSettings({ table: `${n}-state`, bucket: `${n}-blobs`, queue: `${n}-tasks` }, { AWS_REGION: 'us-east-1' });
    await setupAws(s, awsClients());
    return { backend: await createAwsBackend(s, awsClients()), cleanup: () => undefined };
  }],
];

beforeAll(async () => {
  [dynamo, fauxqs] = await Promise.all([sharedDynamoDbLocal(), startFauxqsServer()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([dynamo?.stop(), fauxqs?.stop()]);
});

describe.each(backends)('Authorizer on %s', (_name, open) => {
  let backend: Backend;
  let cleanup: () => void;
  let now = T0;
  const clock = () => now;
  beforeEach(async () => {
    ({ backend, cleanup } = await open());
    now = T0;
  });
  afterEach(async () => {
    await backend.close();
    cleanup();
  });
  const token = async (scope: Scope, name: string, expiresInMs?: number) =>
    (await createApiToken(backend, { scope, name, expiresInMs, now })).token;

  it('trusts the unix socket: the OS user, admin, no token needed', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const r = await auth.authorize({ transport: 'unix', remoteAddress: '', authorization: undefined, cookieToken: undefined, need: 'admin' });
    expect(r).toEqual({ ok: true, principal: { name: userInfo().username, scope: 'admin' } });
  });

  it('on TCP, a valid bearer token or the dashboard cookie names the principal and records its use', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const t = await token('submit', 'ci');
    expect(await auth.authorize(tcp(t, 'submit'))).toEqual({ ok: true, principal: { name: 'ci', scope: 'submit' } });
    expect(await auth.authorize(tcp(undefined, 'read', { cookieToken: t }))).toEqual({ ok: true, principal: { name: 'ci', scope: 'submit' } });
    expect(await auth.authorize(tcp(undefined, 'read', { authorization: `bearer   ${t}` }))).toMatchObject({ ok: true });
    const id = t.split('_')[1] as string;
    expect((await backend.state.getToken(id))?.lastUsedAt).toBe(new Date(T0).toISOString());
  });

  it('writes "last used" at most once a minute per token', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const t = await token('read', 'dash');
    const id = t.split('_')[1] as string;
    await auth.authorize(tcp(t, 'read'));
    now = T0 + TOUCH_EVERY_MS - 1;
    await auth.authorize(tcp(t, 'read'));
    expect((await backend.state.getToken(id))?.lastUsedAt).toBe(new Date(T0).toISOString());
    now = T0 + TOUCH_EVERY_MS;
    await auth.authorize(tcp(t, 'read'));
    expect((await backend.state.getToken(id))?.lastUsedAt).toBe(new Date(now).toISOString());
  });

  it('refuses a missing token with 401 and a hint', async () => {
    const r = refusal(await createAuthorizer(backend, { now: clock }).authorize(tcp(undefined, 'read')));
    expect(r).toMatchObject({ status: 401, code: 'AUTH_REQUIRED', message: 'this request needs an API token' });
    expect(r.hint).toContain('Authorization: Bearer <token>');
    expect(r.hint).toContain('djc token create');
  });

  it('refuses a wrong secret, an unknown id, a malformed token or header alike with 401, never echoing the token', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const t = await token('admin', 'root');
    const wrongSecret = `${t.slice(0, -4)}AAAA`;
    const unknownId = `djc_000000000000_${t.split('_').slice(2).join('_')}`;
    for (const req of [tcp(wrongSecret, 'read'), tcp(unknownId, 'read'), tcp('hunter2', 'read'), tcp(undefined, 'read', { cookieToken: wrongSecret })]) {
      const r = refusal(await auth.authorize(req));
      expect(r).toMatchObject({ status: 401, code: 'AUTH_INVALID', message: 'the API token is not valid' });
      expect(JSON.stringify(r)).not.toContain(wrongSecret.slice(17));
      expect(JSON.stringify(r)).not.toContain('hunter2');
    }
    const basic = refusal(await auth.authorize(tcp(undefined, 'read', { authorization: 'Basic dXNlcjpwYXNz', remoteAddress: '192.0.2.99' })));
    expect(basic).toMatchObject({ status: 401, code: 'AUTH_INVALID', message: 'the Authorization header is not "Bearer <token>"' });
  });

  it('refuses a revoked and an expired token with 401 saying so', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const old = await token('read', 'old');
    await revokeApiToken(backend, 'old', T0 + 1000);
    const short = await token('read', 'short', 3_600_000);
    expect(await auth.authorize(tcp(short, 'read'))).toMatchObject({ ok: true });
    expect(refusal(await auth.authorize(tcp(old, 'read')))).toMatchObject({
      status: 401, code: 'AUTH_REVOKED', message: `API token "old" was revoked at ${new Date(T0 + 1000).toISOString()}`,
    });
    now = T0 + 3_600_000;
    expect(refusal(await auth.authorize(tcp(short, 'read')))).toMatchObject({
      status: 401, code: 'AUTH_EXPIRED', message: `API token "short" expired at ${new Date(T0 + 3_600_000).toISOString()}`,
    });
  });

  it('refuses too small a scope with 403 naming the scope needed; admin covers submit covers read', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const read = await token('read', 'reader');
    const submit = await token('submit', 'submitter');
    const admin = await token('admin', 'boss');
    const r = refusal(await auth.authorize(tcp(read, 'submit')));
    expect(r).toMatchObject({ status: 403, code: 'AUTH_FORBIDDEN', message: 'API token "reader" has scope read; this request needs scope submit' });
    expect(r.hint).toBe('use a token created with --scope submit (or admin)');
    expect(refusal(await auth.authorize(tcp(submit, 'admin')))).toMatchObject({ status: 403, message: expect.stringContaining('needs scope admin') });
    const granted = [];
    for (const [t, need] of [[submit, 'read'], [submit, 'submit'], [admin, 'read'], [admin, 'submit'], [admin, 'admin']] as const) {
      granted.push((await auth.authorize(tcp(t, need))).ok);
    }
    expect(granted).toEqual([true, true, true, true, true]);
  });

  it('slows down one address after 5 failures in a minute: 429 with a growing Retry-After, even for a valid token', async () => {
    const auth = createAuthorizer(backend, { now: clock });
    const good = await token('read', 'good');
    const bad = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    // Requests without a token guess nothing and are not counted.
    for (let i = 0; i < 10; i++) expect(refusal(await auth.authorize(tcp(undefined, 'read'))).status).toBe(401);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(refusal(await auth.authorize(tcp(bad, 'read'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = refusal(await auth.authorize(tcp(good, 'read')));
    expect(blocked).toMatchObject({ status: 429, code: 'AUTH_RATE_LIMITED', retryAfterS: 1 });
    expect(blocked.message).toBe('too many failed authentications from 192.0.2.10; try again in 1s');
    // Another address is not affected.
    expect(await auth.authorize(tcp(good, 'read', { remoteAddress: '192.0.2.11' }))).toMatchObject({ ok: true });
    now += 1000;
    expect(await auth.authorize(tcp(good, 'read'))).toMatchObject({ ok: true });
    expect(refusal(await auth.authorize(tcp(bad, 'read'))).status).toBe(401);
    expect(refusal(await auth.authorize(tcp(good, 'read')))).toMatchObject({ status: 429, retryAfterS: 2 });
    now += 2000;
    expect(refusal(await auth.authorize(tcp(bad, 'read'))).status).toBe(401);
    expect(refusal(await auth.authorize(tcp(bad, 'read')))).toMatchObject({ status: 429, retryAfterS: 4 });
  });
});
