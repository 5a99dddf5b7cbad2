/**
 * The TCP listener: HTTPS with a self-signed certificate made here by
 * openssl, every request asked to the Authorizer with the route's scope
 * (a table of two tokens stands in for `djc token`'s), and its answers
 * (401/403/429, Retry-After) sent in the error envelope.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import type { AuthRequest, AuthResult, Authorizer, Scope } from './auth/authorizer.js';
import { serveApi, type RunningApi } from './serve-api.js';

const SCOPE_RANK: Record<Scope, number> = { read: 0, submit: 1, admin: 2 };

class TokenTable implements Authorizer {
  readonly asked: AuthRequest[] = [];
  constructor(private readonly tokens: Record<string, { name: string; scope: Scope }>) {}
  async authorize(req: AuthRequest): Promise<AuthResult> {
    this.asked.push(req);
    if (req.authorization === 'Bearer slow-down') return { ok: false, status: 429, code: 'TOO_MANY_FAILURES', message: 'too many failed attempts', retryAfterS: 7 };
    const t = this.tokens[req.authorization?.replace(/^Bearer /, '') ?? ''];
    if (!t) return { ok: false, status: 401, code: 'AUTH_REQUIRED', message: 'a valid bearer token is needed', hint: 'djc token create' };
    if (SCOPE_RANK[t.scope] < SCOPE_RANK[req.need]) return { ok: false, status: 403, code: 'AUTH_FORBIDDEN', message: `token ${t.name} has scope ${t.scope}; this needs ${req.need}` };
    return { ok: true, principal: t };
  }
}

interface Answer { status: number; headers: Record<string, unknown>; json: any }

function call(url: string, o: { method?: string; token?: string; body?: string; ca?: Buffer } = {}): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, {
      method: o.method ?? 'GET', ...(o.ca ? { ca: o.ca } : {}),
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body ? { 'content-type': 'application/yaml' } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('serveApi: the TCP listener', () => {
  let dir: string;
  let backend: Backend;
  let running: RunningApi | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'djc-serve-'));
    backend = createLocalBackend({ home: join(dir, '.djc') });
  });
  afterEach(async () => {
    await running?.close();
    running = null;
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks HTTPS with --tls-cert/--tls-key and asks the authorizer with each route\'s scope', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const ca = readFileSync(join(dir, 'cert.pem'));
    const auth = new TokenTable({ reader: { name: 'dash', scope: 'read' }, submitter: { name: 'ci', scope: 'submit' } });
    running = await serveApi({
      backend, log: createLogger({ name: 't', level: 'silent' }), home: join(dir, '.djc'), socketPath: null,
      listen: '127.0.0.1:0', tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem'), authorizer: auth,
    });
    const url = running.urls[0]!;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    expect(await call(`${url}/v1/jobs`, { ca, token: 'reader' })).toMatchObject({ status: 200, json: { jobs: [], nextCursor: null } });
    expect(auth.asked.at(-1)).toMatchObject({ transport: 'tcp', remoteAddress: '127.0.0.1', authorization: 'Bearer reader', need: 'read' });

    const anonymous = await call(`${url}/v1/jobs`, { ca });
    expect(anonymous).toMatchObject({ status: 401, json: { error: { code: 'AUTH_REQUIRED', hint: 'djc token create' } } });
    const job = 'name: owned\ninput: { path: in.jsonl }\nhandler: { command: cat }\n';
    writeFileSync(join(dir, 'in.jsonl'), '{"a":1}\n');
    const submitPath = `${url}/v1/jobs?base_dir=${encodeURIComponent(dir)}`;
    const tooSmall = await call(submitPath, { ca, token: 'reader', method: 'POST', body: job });
    expect(tooSmall).toMatchObject({ status: 403, json: { error: { code: 'AUTH_FORBIDDEN' } } });
    expect(auth.asked.at(-1)?.need).toBe('submit');
    expect(await backend.state.listJobs()).toEqual([]);

    const submitted = await call(submitPath, { ca, token: 'submitter', method: 'POST', body: job });
    expect(submitted.status).toBe(201);
    expect((await backend.state.getJob(submitted.json.jobId))?.owner).toBe('ci');

    const limited = await call(`${url}/v1/jobs`, { ca, token: 'slow-down' });
    expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '7' }, json: { error: { code: 'TOO_MANY_FAILURES' } } });
    expect(await call(`${url}/healthz`, { ca })).toMatchObject({ status: 200, json: { ok: true } });
    // No coordinator holds this backend's lock: not ready.
    expect(await call(`${url}/readyz`, { ca })).toMatchObject({ status: 503, json: { error: { code: 'NOT_READY', hint: expect.stringContaining('djc coordinator') } } });
    // Plain HTTP on the TLS port gets no answer from the API.
    const plain = await call(url.replace('https:', 'http:') + '/healthz').catch((e: Error) => e);
    expect(plain instanceof Error ? plain.message : (plain as Answer).status).not.toBe(200);
  });

  it('refuses TCP without an authorizer, and a non-loopback address without TLS', async () => {
    const base = { backend, log: createLogger({ name: 't', level: 'silent' }), home: join(dir, '.djc'), socketPath: null };
    await expect(serveApi({ ...base, listen: '127.0.0.1:0' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('needs token authentication') });
    const auth = new TokenTable({});
    await expect(serveApi({ ...base, listen: '0.0.0.0:0', authorizer: auth })).rejects.toMatchObject({ code: 'USAGE', hint: expect.stringContaining('--insecure-http') });
    running = await serveApi({ ...base, listen: '0.0.0.0:0', authorizer: auth, insecureHttp: true });
    expect(running.urls[0]).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
  });
});
