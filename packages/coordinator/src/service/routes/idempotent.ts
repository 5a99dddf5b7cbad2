/** Runs a POST once per `Idempotency-Key` (idempotency.ts); without the header, every time. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../create-service.js';

export async function idempotent(
  ctx: ServiceContext, req: FastifyRequest, reply: FastifyReply, act: () => Promise<{ status: number; body: unknown }>,
): Promise<void> {
  const header = req.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined) {
    const { status, body } = await act();
    await reply.code(status).send(body);
    return;
  }
  const request = `${req.method} ${req.url}\n${typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null)}`;
  const answer = await ctx.idempotency.answer({ key, principal: req.principal?.name ?? '', request }, act);
  if (answer.replayed) void reply.header('idempotent-replayed', 'true');
  await reply.code(answer.status).send(answer.body);
}
