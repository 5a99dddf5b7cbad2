/**
 * The coordinator lock: one item (`COORDINATOR` / `LOCK`). Taking it is one
 * conditional Put that applies only when there is no lock, it is ours, or it
 * has expired, so two coordinators racing for it cannot both win. Its expiry
 * is `lock_expires_at` (epoch ms), not the table's TTL attribute.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { DjcError } from '../../errors.js';
import type { CoordinatorInfo } from '../../ports/state-store.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { getItem, sendConditional, type DynamoContext, type Io } from './dynamo-request.js';
import { ITEM_VERSION, LOCK_KEY } from './dynamo-schema.js';

const LockItemSchema = z.object({
  v: z.literal(ITEM_VERSION),
  owner: z.string(),
  pid: z.number(),
  host: z.string(),
  heartbeat_at: z.number(),
  lock_expires_at: z.number(),
});

export class DynamoLock {
  constructor(private readonly ctx: DynamoContext) {}

  /** True if `info.owner` holds the lock now (taken, renewed, or taken over after expiry). */
  async acquire(info: CoordinatorInfo, io: Io, now = Date.now()): Promise<boolean> {
    const b = new ExprBuilder();
    const condition = `attribute_not_exists(${b.name('pk')}) OR ${b.eq('owner', info.owner)} OR ${b.name('lock_expires_at')} < ${b.value(now)}`;
    const item = {
      ...LOCK_KEY, v: ITEM_VERSION, owner: info.owner, pid: info.pid, host: info.host,
      heartbeat_at: info.heartbeatAt, lock_expires_at: info.expiresAt,
    };
    const cmd = new PutCommand({ TableName: this.ctx.table, Item: item, ConditionExpression: condition, ...b.params() });
    const res = await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
    return res.ok;
  }

  /** The holder, expired or not; null if none. */
  async get(io: Io): Promise<CoordinatorInfo | null> {
    const item = await getItem(this.ctx, LOCK_KEY, io);
    if (!item) return null;
    const r = LockItemSchema.safeParse(item);
    if (!r.success) throw new DjcError('INTERNAL', `${this.ctx.what}: the coordinator lock item is not a djc v${ITEM_VERSION} item`);
    const l = r.data;
    return { owner: l.owner, pid: l.pid, host: l.host, heartbeatAt: l.heartbeat_at, expiresAt: l.lock_expires_at };
  }

  /** Deletes the lock if `owner` holds it; otherwise does nothing. */
  async release(owner: string, io: Io): Promise<void> {
    const b = new ExprBuilder();
    const cmd = new DeleteCommand({ TableName: this.ctx.table, Key: LOCK_KEY, ConditionExpression: b.eq('owner', owner), ...b.params() });
    await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
  }
}
