/**
 * `/healthz` (the process answers) and `/readyz`: 200 when this process leads
 * the backend (holds its coordinator lock), 503 with `role: "standby"` when
 * another does or none does (a standby serves its TCP listener while it waits).
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { errorBody } from '../http-errors.js';
import { errorSchema } from '../schemas.js';
import type { ServiceContext } from '../create-service.js';
import type { TypedApp } from './types.js';

const coordinator = z.object({ owner: z.string(), pid: z.number(), host: z.string(), heartbeatAt: z.string(), expiresAt: z.string(), epoch: z.number() });
const notReady = errorSchema.extend({ role: z.literal('standby').describe('this process does not lead the backend'), leader: coordinator.optional().describe('the coordinator that does') });

export function healthRoutes(app: TypedApp, ctx: ServiceContext): void {
  app.get('/healthz', {
    schema: { summary: 'the process answers', tags: ['health'], security: [], response: { 200: z.object({ ok: z.literal(true) }) } },
  }, async () => ({ ok: true as const }));

  app.get('/readyz', {
    schema: {
      summary: 'ready: this coordinator leads the backend (holds its lock, named in the answer); 503 with role "standby" otherwise', tags: ['health'], security: [],
      response: { 200: z.object({ ready: z.literal(true), role: z.literal('leader'), backend: z.string(), coordinator }), 503: notReady },
    },
  }, async (_req, reply) => {
    const lock = await ctx.backend.state.getCoordinatorLock();
    if (!lock || lock.expiresAt <= Date.now()) {
      const last = lock ? ` (the last one, pid ${lock.pid} on ${lock.host}, stopped renewing it at ${new Date(lock.heartbeatAt).toISOString()})` : '';
      return reply.code(503).send({ role: 'standby' as const, ...errorBody('NOT_READY', `no coordinator holds the lock of this backend${last}`, 'a standby takes over when the lock expires; or start one with `djc coordinator`') });
    }
    const holder = { owner: lock.owner, pid: lock.pid, host: lock.host, heartbeatAt: new Date(lock.heartbeatAt).toISOString(), expiresAt: new Date(lock.expiresAt).toISOString(), epoch: lock.epoch };
    if (lock.pid !== process.pid || lock.host !== hostname()) {
      return reply.code(503).send({
        role: 'standby' as const, leader: holder,
        ...errorBody('NOT_READY', `this coordinator is a standby: pid ${lock.pid} on ${lock.host} leads this backend (epoch ${lock.epoch})`, 'send requests to the leader; this one takes over when the leader\'s lock expires'),
      });
    }
    return { ready: true as const, role: 'leader' as const, backend: ctx.backend.name, coordinator: holder };
  });
}
