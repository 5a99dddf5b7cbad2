/**
 * The web dashboard (docs/api.md, "Dashboard"): its static files
 * (packages/coordinator/dashboard: no build step, nothing from a CDN) at `/`,
 * and its session: `POST /login` checks a token with the Authorizer and
 * keeps it in an HttpOnly, SameSite=Strict cookie (`djc_token`, Secure under
 * TLS) that every /v1 route accepts like a bearer header; `POST /logout`
 * clears it. On the unix socket no login is needed (the socket is trusted).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Authorizer } from '../auth/authorizer.js';
import { errorBody } from '../http-errors.js';
import type { TypedApp } from './types.js';

/** The files folder: two levels up from src/service/routes/ and dist/service/routes/ alike. */
const FILES = new URL('../../../dashboard/', import.meta.url);

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };

/** The page may load only its own files and call only its own origin. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const SESSION_COOKIE = 'djc_token';

export interface DashboardOptions {
  transport: 'unix' | 'tcp';
  authorizer?: Authorizer;
  secure: boolean;
}

export function dashboardRoutes(app: TypedApp, o: DashboardOptions): void {
  const hidden = { hide: true };
  const sendFile = async (name: string, reply: import('fastify').FastifyReply) => {
    const ext = /\.([a-z]+)$/.exec(name)?.[1] ?? '';
    const body = await readFile(new URL(name, FILES)).catch(() => null);
    if (body === null || !TYPES[ext]) return reply.code(404).send(errorBody('NOT_FOUND', `no dashboard file ${name}`, 'open / for the dashboard'));
    return reply.type(TYPES[ext]).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache').send(body);
  };
  app.get('/', { schema: hidden }, async (_req, reply) => sendFile('index.html', reply));
  app.get('/dashboard/:file', { schema: { ...hidden, params: z.object({ file: z.string().regex(/^[a-z0-9-]+\.(html|css|js|svg)$/) }) } },
    async (req, reply) => sendFile(req.params.file, reply));

  app.post('/login', { schema: { ...hidden, body: z.object({ token: z.string().min(1).max(200) }) } }, async (req, reply) => {
    if (o.transport === 'unix' || !o.authorizer) return { name: 'unix socket', scope: 'admin', transport: o.transport };
    const token = req.body.token.trim();
    const res = await o.authorizer.authorize({
      transport: 'tcp', remoteAddress: req.socket.remoteAddress ?? '', authorization: `Bearer ${token}`, cookieToken: undefined, need: 'read',
    });
    if (!res.ok) {
      if (res.retryAfterS !== undefined) void reply.header('retry-after', String(res.retryAfterS));
      return reply.code(res.status).send(errorBody(res.code, res.message, res.hint));
    }
    void reply.header('set-cookie', cookie(encodeURIComponent(token), o.secure, 'Max-Age=2592000'));
    return { ...res.principal, transport: o.transport };
  });

  app.get('/session', { config: { scope: 'read' }, schema: hidden }, async (req) => ({ ...req.principal, transport: o.transport }));

  app.post('/logout', { schema: hidden }, async (_req, reply) => {
    void reply.header('set-cookie', cookie('', o.secure, 'Max-Age=0'));
    return { ok: true };
  });
}

function cookie(value: string, secure: boolean, age: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; ${age}${secure ? '; Secure' : ''}`;
}
