/**
 * The dashboard's files and session over HTTP (Fastify's inject, a real
 * local backend, the real Authorizer, tokens made as `djc token create`
 * makes them): the files with their Content-Security-Policy, the login's
 * cookie (HttpOnly, SameSite=Strict, Secure under TLS), the cookie accepted
 * by /v1 routes, logout, and no login on the unix socket.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { createApiToken } from '../auth/api-tokens.js';
import { createAuthorizer } from '../auth/authorizer.js';
import { createService, type ServiceApp } from '../create-service.js';

describe('the dashboard routes', () => {
  let dir: string;
  let backend: Backend;
  let app: ServiceApp | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'djc-dash-'));
    backend = createLocalBackend({ home: join(dir, '.djc') });
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const make = async (transport: 'unix' | 'tcp', https?: { cert: Buffer; key: Buffer }) => {
    app = await createService({
      backend, log: createLogger({ name: 'test', level: 'silent' }), home: join(dir, '.djc'), transport,
      ...(transport === 'tcp' ? { authorizer: createAuthorizer(backend) } : {}), ...(https ? { https } : {}),
    });
    return app;
  };

  it('serves its files without a token, each with a policy that allows the daemon\'s own origin only', async () => {
    const a = await make('tcp');
    const page = await a.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('<script type="module" src="/dashboard/app.js">');
    const js = await a.inject({ method: 'GET', url: '/dashboard/app.js' });
    expect([js.statusCode, js.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await a.inject({ method: 'GET', url: '/dashboard/nope.js' })).json().error.code).toBe('NOT_FOUND');
    expect((await a.inject({ method: 'GET', url: '/dashboard/..%2Fpackage.json' })).statusCode).toBe(400);
    expect((await a.inject({ method: 'GET', url: '/v1/jobs' })).json().error.code).toBe('AUTH_REQUIRED');
  });

  it('logs in with a token into an HttpOnly SameSite=Strict cookie that the API accepts, and logs out', async () => {
    const a = await make('tcp');
    const { token } = await createApiToken(backend, { scope: 'read', name: 'viewer' });
    const bad = await a.inject({ method: 'POST', url: '/login', payload: { token: `${token.slice(0, -2)}xx` } });
    expect([bad.statusCode, bad.json().error.code, bad.headers['set-cookie']]).toEqual([401, 'AUTH_INVALID', undefined]);
    const ok = await a.inject({ method: 'POST', url: '/login', payload: { token } });
    expect(ok.json()).toEqual({ name: 'viewer', scope: 'read', transport: 'tcp' });
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toBe(`djc_token=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`);
    const session = `djc_token=${encodeURIComponent(token)}`;
    expect((await a.inject({ method: 'GET', url: '/v1/jobs', headers: { cookie: session } })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/session', headers: { cookie: session } })).json()).toEqual({ name: 'viewer', scope: 'read', transport: 'tcp' });
    const cancel = await a.inject({ method: 'POST', url: '/v1/jobs/x/cancel', headers: { cookie: session }, payload: {} });
    expect([cancel.statusCode, cancel.json().error.message]).toEqual([403, 'API token "viewer" has scope read; this request needs scope submit']);
    const out = await a.inject({ method: 'POST', url: '/logout' });
    expect(String(out.headers['set-cookie'])).toBe('djc_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('marks the cookie Secure under TLS', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const a = await make('tcp', { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) });
    const { token } = await createApiToken(backend, { scope: 'submit', name: 'ops' });
    const ok = await a.inject({ method: 'POST', url: '/login', payload: { token } });
    expect(String(ok.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=2592000; Secure$/);
    expect(String((await a.inject({ method: 'POST', url: '/logout' })).headers['set-cookie'])).toMatch(/Max-Age=0; Secure$/);
  });

  it('needs no login on the unix socket', async () => {
    const a = await make('unix');
    expect((await a.inject({ method: 'GET', url: '/session' })).json()).toMatchObject({ scope: 'admin', transport: 'unix' });
    expect((await a.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200);
  });
});
