/**
 * The daemon's HTTP face (docs/api.md): a Fastify app with the /v1 routes,
 * validated and documented by their zod schemas, every request asked to
 * the Authorizer (or trusted on the unix socket), every error in the
 * `{"error":{code,message,hint}}` envelope.
 */
import { userInfo } from 'node:os';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { DjcError, type Backend, type Logger } from '@djc/core';
import type { Metrics } from '../observe/metrics.js';
import type { Authorizer, Principal, Scope } from './auth/authorizer.js';
import { errorBody, toHttpError } from './http-errors.js';
import { IdempotencyStore } from './idempotency.js';
import { actionRoutes } from './routes/action-routes.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { failureRoutes } from './routes/failure-routes.js';
import { whyRoutes } from './routes/why-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { logRoutes } from './routes/log-routes.js';
import { metricsRoute } from './routes/metrics-route.js';
import { readRoutes } from './routes/read-routes.js';
import { reportRoute } from './routes/report-route.js';
import { submitRoutes } from './routes/submit-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs of the caller (docs/api.md, "Authentication"); none: open (health, OpenAPI). */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ServiceOptions {
  backend: Backend;
  log: Logger;
  /** The coordinator's home: API submissions are stored under it. */
  home: string;
  /** Which listener this app serves: the unix socket trusts its file mode, TCP asks the authorizer. */
  transport: 'unix' | 'tcp';
  authorizer?: Authorizer;
  /** Kept across the unix and TCP apps of one daemon. */
  idempotency?: IdempotencyStore;
  /** How often the event stream reads the backend (default 1 s). */
  eventsEveryMs?: number;
  /** What `GET /metrics` renders (the daemon's); without it, /metrics is a 404. */
  metrics?: Metrics;
  /** TLS for the TCP listener. */
  https?: { cert: Buffer; key: Buffer };
}

export type ServiceApp = FastifyInstance;

export interface ServiceContext extends Required<Pick<ServiceOptions, 'backend' | 'log' | 'home' | 'eventsEveryMs'>> {
  idempotency: IdempotencyStore;
  /** Aborted when the app closes: streams (events, followed logs) end so that closing does not wait for their clients. */
  closing: AbortSignal;
}

export const API_INFO = { title: 'djc coordinator API', version: '1' };

export async function createService(o: ServiceOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: o.log as never, ...(o.https ? { https: o.https } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  await app.register(fastifySwagger, {
    openapi: {
      info: { ...API_INFO, description: 'The djc coordinator daemon over HTTP: submit, follow and control jobs. docs/api.md explains it.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `djc token create` (TCP only; the unix socket needs none)' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.setErrorHandler((e, req, reply) => sendError(e, req, reply, o.log));
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, 'the routes are listed in /v1/openapi.json and docs/api.md'));
  });
  app.addHook('onRequest', authHook(o));
  for (const t of ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain']) {
    app.addContentTypeParser(t, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());
  const ctx: ServiceContext = {
    backend: o.backend, log: o.log, home: o.home, eventsEveryMs: o.eventsEveryMs ?? 1000,
    idempotency: o.idempotency ?? new IdempotencyStore(o.backend), closing: closing.signal,
  };
  const typed = app.withTypeProvider<ZodTypeProvider>();
  healthRoutes(typed, ctx);
  submitRoutes(typed, ctx);
  readRoutes(typed, ctx);
  logRoutes(typed, ctx);
  actionRoutes(typed, ctx);
  eventRoutes(typed, ctx);
  failureRoutes(typed, ctx);
  whyRoutes(typed, ctx);
  metricsRoute(typed, o.metrics);
  reportRoute(typed, ctx);
  dashboardRoutes(typed, { transport: o.transport, ...(o.authorizer ? { authorizer: o.authorizer } : {}), secure: o.https !== undefined });
  typed.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

function sendError(e: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): void {
  if (hasZodFastifySchemaValidationErrors(e)) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? 'request'}${first?.instancePath ? first.instancePath.replaceAll('/', '.') : ''}`;
    void reply.code(400).send(errorBody('USAGE', `${where}: ${first?.message ?? 'invalid'}`, 'the request schema is in /v1/openapi.json', e.validation));
    return;
  }
  const fastifyStatus = (e as { statusCode?: number }).statusCode;
  if (!(e instanceof DjcError) && fastifyStatus !== undefined && fastifyStatus < 500) {
    // Fastify's own 4xx (bad JSON, too large, unsupported media type).
    void reply.code(fastifyStatus).send(errorBody('USAGE', (e as Error).message, 'send JSON (application/json) or YAML (application/yaml)'));
    return;
  }
  const { status, body } = toHttpError(e);
  if (status >= 500) log.error({ err: e, method: req.method, url: req.url }, 'request failed');
  void reply.code(status).send(body);
}

/** The route's scope asked to the authorizer; the unix socket is trusted (its mode is 0600): the OS user, admin. */
function authHook(o: ServiceOptions) {
  const osUser = safeUser();
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const need = req.routeOptions.config.scope;
    if (need === undefined) return;
    if (o.transport === 'unix' && !o.authorizer) {
      req.principal = { name: osUser, scope: 'admin' };
      return;
    }
    if (!o.authorizer) {
      await reply.code(401).send(errorBody('AUTH_REQUIRED', 'this listener has no way to check tokens', 'use the unix socket'));
      return reply;
    }
    const res = await o.authorizer.authorize({
      transport: o.transport, remoteAddress: o.transport === 'unix' ? '' : req.socket.remoteAddress ?? '',
      authorization: req.headers.authorization, cookieToken: cookieOf(req.headers.cookie), need,
    });
    if (res.ok) {
      req.principal = res.principal;
      return;
    }
    if (res.retryAfterS !== undefined) void reply.header('retry-after', String(res.retryAfterS));
    await reply.code(res.status).send(errorBody(res.code, res.message, res.hint));
    return reply;
  };
}

/** The dashboard's session cookie (`djc_token`). */
function cookieOf(header: string | undefined): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'djc_token') return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
