/** `/healthz` (the process answers) and `/readyz` (a coordinator holds the backend's lock, and which). */
import { z } from 'zod';
import { errorBody } from '../http-errors.js';
import { errorSchema } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

const coordinator = z.object({ owner: z.string(), pid: z.number(), host: z.string(), heartbeatAt: z.string(), expiresAt: z.string() });

export function healthRoutes(app: TypedApp, ctx: ServiceContext): void {
  app.get('/healthz', {
    schema: { summary: 'the process answers', tags: ['health'], security: [], response: { 200: z.object({ ok: z.literal(true) }) } },
  }, async () => ({ ok: true as const }));

  app.get('/readyz', {
    schema: {
      summary: 'ready: a coordinator holds the backend\'s lock (named in the answer); 503 otherwise', tags: ['health'], security: [],
      response: { 200: z.object({ ready: z.literal(true), backend: z.string(), coordinator }), 503: errorSchema },
    },
  }, async (_req, reply) => {
    const lock = await ctx.backend.state.getCoordinatorLock();
    if (!lock || lock.expiresAt <= Date.now()) {
      const last = lock ? ` (the last one, pid ${lock.pid} on ${lock.host}, stopped renewing it at ${new Date(lock.heartbeatAt).toISOString()})` : '';
      return reply.code(503).send(errorBody('NOT_READY', `no coordinator holds the lock of this backend${last}`, 'a standby takes over when the lock expires; or start one with `djc coordinator`'));
    }
    return {
      ready: true as const, backend: ctx.backend.name,
      coordinator: { owner: lock.owner, pid: lock.pid, host: lock.host, heartbeatAt: new Date(lock.heartbeatAt).toISOString(), expiresAt: new Date(lock.expiresAt).toISOString() },
    };
  });
}
