/**
 * The coordinator lock: one item (`COORDINATOR` / `LOCK`). Taking it reads
 * the item, then writes it with a condition on what was read (compare and
 * swap), so two coordinators racing for it cannot both win. It carries an
 * epoch (incremented on every takeover, kept on renewal); releasing expires
 * the item rather than deleting it, so the epoch never goes back. Its expiry
 * is `lock_expires_at` (epoch ms), not the table's TTL attribute.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { DjcError } from '../../errors.js';
import type { CoordinatorInfo, LockClaim } from '../../ports/state-store.js';
import { epochAfter } from '../lock-epoch.js';
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
  // Absent on items written before epochs.
  epoch: z.number().default(0),
});

export class DynamoLock {
  constructor(private readonly ctx: DynamoContext) {}

  /** True if `claim.owner` holds the lock now (taken, renewed, or taken over after expiry or from a dead holder). */
  async acquire(claim: LockClaim, io: Io, now = Date.now()): Promise<boolean> {
    const cur = await this.get(io);
    const epoch = epochAfter(cur, claim, now);
    if (epoch === null) return false;
    const b = new ExprBuilder();
    // Unchanged since it was read: same holder, term and expiry.
    const condition = cur === null
      ? `attribute_not_exists(${b.name('pk')})`
      : `${b.eq('owner', cur.owner)} AND ${b.eq('lock_expires_at', cur.expiresAt)} AND ${cur.epoch === 0 ? `attribute_not_exists(${b.name('epoch')})` : b.eq('epoch', cur.epoch)}`;
    return this.put({ ...claim, epoch }, condition, b, io);
  }

  /** Extends the lock only while `info.owner` holds it at `info.epoch`. */
  async renew(info: CoordinatorInfo, io: Io): Promise<boolean> {
    const b = new ExprBuilder();
    return this.put(info, `${b.eq('owner', info.owner)} AND ${b.eq('epoch', info.epoch)}`, b, io);
  }

  /** The holder, expired or not; null if none ever held it. */
  async get(io: Io): Promise<CoordinatorInfo | null> {
    const item = await getItem(this.ctx, LOCK_KEY, io);
    if (!item) return null;
    const r = LockItemSchema.safeParse(item);
    if (!r.success) throw new DjcError('INTERNAL', `${this.ctx.what}: the coordinator lock item is not a djc v${ITEM_VERSION} item`);
    const l = r.data;
    return { owner: l.owner, pid: l.pid, host: l.host, heartbeatAt: l.heartbeat_at, expiresAt: l.lock_expires_at, epoch: l.epoch };
  }

  /** Expires the lock if `owner` holds it (keeping its epoch); otherwise does nothing. */
  async release(owner: string, io: Io): Promise<void> {
    const b = new ExprBuilder();
    const cmd = new UpdateCommand({
      TableName: this.ctx.table, Key: LOCK_KEY, UpdateExpression: `SET ${b.eq('lock_expires_at', 0)}`, ConditionExpression: b.eq('owner', owner), ...b.params(),
    });
    await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
  }

  private async put(info: CoordinatorInfo, condition: string, b: ExprBuilder, io: Io): Promise<boolean> {
    const item = {
      ...LOCK_KEY, v: ITEM_VERSION, owner: info.owner, pid: info.pid, host: info.host,
      heartbeat_at: info.heartbeatAt, lock_expires_at: info.expiresAt, epoch: info.epoch,
    };
    const cmd = new PutCommand({ TableName: this.ctx.table, Item: item, ConditionExpression: condition, ...b.params() });
    const res = await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
    return res.ok;
  }
}
