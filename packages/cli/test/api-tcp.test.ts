/**
 * The API over TCP with tokens made by `djc token create`: every route of
 * the OpenAPI document asked without a token (401), with a read token (GETs
 * pass, POSTs 403) and with a submit token (all pass the check); a job
 * submitted with a token is owned by the token's name; /metrics with a read
 * token; HTTPS with a certificate made here by openssl.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from './api-helpers.js';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-apitcp-');
const opts = () => ({ cwd: box.dir, home: box.home });

interface Answer { status: number; headers: Record<string, unknown>; text: string; json: any }

function call(url: string, o: { method?: string; token?: string; body?: string; type?: string; ca?: Buffer } = {}): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, {
      method: o.method ?? 'GET', ...(o.ca ? { ca: o.ca } : {}),
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': o.type ?? 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => {
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* text */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

async function token(scope: string, name: string): Promise<string> {
  const r = await djc(['token', 'create', '--scope', scope, '--name', name], opts());
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('the API over TCP', () => {
  it('asks every route for a token of the scope it needs', async () => {
    const reader = await token('read', 'dash');
    const submitter = await token('submit', 'ci');
    const co = await startCoordinator(opts(), ['--listen', '127.0.0.1:0']);
    try {
      const base = /and (http:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1];
      expect(base, co.stderr()).toBeDefined();
      const doc = (await call(`${base}/v1/openapi.json`)).json as { paths: Record<string, Record<string, { security?: unknown[] }>> };
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), open: Array.isArray(op.security) && op.security.length === 0 })));
      expect(routes.length).toBeGreaterThan(15);
      expect(routes.filter((r) => r.open).map((r) => r.path).sort()).toEqual(['/healthz', '/readyz']);
      for (const r of routes) {
        const url = `${base}${r.path.replace('{job}', 'no-such-job').replace('{task}', '0')}${r.path === '/v1/events' ? '?job=no-such-job' : ''}`;
        const body = r.method === 'POST' ? '{}' : undefined;
        const anonymous = await call(url, { method: r.method, body });
        if (r.open) {
          expect(anonymous.status, `${r.method} ${r.path}`).not.toBe(401);
          continue;
        }
        expect([r.method, r.path, anonymous.status, anonymous.json?.error?.code]).toEqual([r.method, r.path, 401, 'AUTH_REQUIRED']);
        const read = await call(url, { method: r.method, body, token: reader });
        if (r.method === 'GET') expect([r.path, [401, 403].includes(read.status)]).toEqual([r.path, false]);
        else expect([r.path, read.status, read.json?.error?.code]).toEqual([r.path, 403, 'AUTH_FORBIDDEN']);
        const submit = await call(url, { method: r.method, body, token: submitter });
        expect([r.path, [401, 403].includes(submit.status)]).toEqual([r.path, false]);
      }

      writeFileSync(join(box.dir, 'in.jsonl'), '{"a":1}\n');
      const job = 'name: tcp\ninput: { path: in.jsonl }\nhandler: { command: cat }\n';
      const sub = await call(`${base}/v1/jobs?base_dir=${encodeURIComponent(box.dir)}`, { method: 'POST', body: job, type: 'application/yaml', token: submitter });
      expect(sub.status, sub.text).toBe(201);
      const status = await djc(['status', sub.json.jobId, '--json'], opts());
      expect(JSON.parse(status.stdout)).toMatchObject({ owner: 'ci' });
      const metrics = await call(`${base}/metrics`, { token: reader });
      expect(metrics.status).toBe(200);
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.text).toMatch(/^djc_jobs\{status="/m);
    } finally {
      await co.stop();
    }
  });

  it('speaks HTTPS with --tls-cert and --tls-key', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(box.dir, 'key.pem'), '-out', join(box.dir, 'cert.pem')], { stdio: 'ignore' });
    const reader = await token('read', 'dash');
    const co = await startCoordinator(opts(), ['--listen', '127.0.0.1:0', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem']);
    try {
      const base = /and (https:\/\/127\.0\.0\.1:\d+)/.exec(co.stderr())?.[1];
      expect(base, co.stderr()).toBeDefined();
      const ca = readFileSync(join(box.dir, 'cert.pem'));
      expect(await call(`${base}/v1/jobs`, { ca, token: reader })).toMatchObject({ status: 200, json: { jobs: [], nextCursor: null } });
      expect(await call(`${base}/v1/jobs`, { ca })).toMatchObject({ status: 401 });
      await expect(call(`${base}/v1/jobs`, { token: reader })).rejects.toThrow(/self.signed|certificate/i);
    } finally {
      await co.stop();
    }
  });
});
