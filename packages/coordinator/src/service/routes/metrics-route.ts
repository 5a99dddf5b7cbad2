/** `GET /metrics`: the Prometheus text format (observe/metrics.ts), scope read (on TCP, a scraper sends a bearer token). */
import { z } from 'zod';
import { DjcError } from '@djc/core';
import type { Metrics } from '../../observe/metrics.js';
import { errors } from '../schemas.js';
import type { TypedApp } from './types.js';

export function metricsRoute(app: TypedApp, metrics: Metrics | undefined): void {
  app.get('/metrics', {
    config: { scope: 'read' },
    schema: { summary: 'Prometheus metrics (text format 0.0.4; docs/operations.md lists them)', tags: ['health'], response: { 200: z.string(), ...errors } },
  }, async (_req, reply) => {
    if (!metrics) throw new DjcError('NOT_FOUND', 'this server has no metrics', { hint: 'djc coordinator serves them' });
    const text = await metrics.render();
    return reply.type(metrics.contentType).serializer((x: unknown) => x as string).send(text);
  });
}
