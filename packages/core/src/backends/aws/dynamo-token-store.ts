/**
 * API tokens (ports/token-store.ts) in the state table; keys only, never a
 * scan (see dynamo-schema.ts):
 *
 * | item       | pk                 | sk           | notes |
 * | ---------- | ------------------ | ------------ | ----- |
 * | token      | `TOKENS`           | `TOKEN#<id>` | the record; all tokens in one partition (tens, not millions), listed by one Query |
 * | live name  | `TOKENNAME#<name>` | `TOKEN`      | `id` of the live token with this name: what keeps live names unique |
 *
 * Create is one transaction of two conditional Puts; revoke one of the
 * conditional update and the Delete of the name item. A token's expiry is
 * `token_expires_at` (ISO), not the table's TTL attribute, so DynamoDB never
 * deletes a token on its own; `last_used_at` moves forward only.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, DjcError } from '../../errors.js';
import type { NewToken, TokenRecord } from '../../ports/token-store.js';
import { storedToken, tokenOf } from '../token-parse.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { getItem, queryPages, sendConditional, transact, type DynamoContext, type Io, type Item } from './dynamo-request.js';
import { ITEM_VERSION } from './dynamo-schema.js';

const TOKENS_PK = 'TOKENS';
const tokenKey = (id: string) => ({ pk: TOKENS_PK, sk: `TOKEN#${id}` });
const nameKey = (name: string) => ({ pk: `TOKENNAME#${name}`, sk: 'TOKEN' });

export class DynamoTokenStore {
  constructor(private readonly ctx: DynamoContext) {}

  async create(t: NewToken, io: Io): Promise<TokenRecord> {
    const row = storedToken(t);
    const b = new ExprBuilder();
    const absent = `attribute_not_exists(${b.name('pk')})`;
    const outcome = await transact(this.ctx, [
      { Put: { TableName: this.ctx.table, Item: { ...tokenKey(t.id), v: ITEM_VERSION, ...withoutNulls(row) }, ConditionExpression: absent, ...b.params() } },
      { Put: { TableName: this.ctx.table, Item: { ...nameKey(t.name), v: ITEM_VERSION, id: t.id }, ConditionExpression: absent, ...b.params() } },
    ], io);
    if (!outcome.ok) {
      if (outcome.reasons[0]?.code === 'ConditionalCheckFailed') throw new ConflictError(`an API token with id ${t.id} exists`, { details: { taken: 'id' } });
      if (outcome.reasons[1]?.code === 'ConditionalCheckFailed') {
        throw new ConflictError(`an API token named "${t.name}" exists`, { hint: `choose another --name, or revoke it first: djc token revoke ${t.name}`, details: { taken: 'name' } });
      }
      throw new DjcError('BACKEND_UNAVAILABLE', `${this.ctx.what}: creating API token ${t.id} was cancelled (${outcome.reasons.map((r) => r.code).join(', ')})`, { hint: 'retry' });
    }
    return { ...t, lastUsedAt: null, revokedAt: null };
  }

  async get(id: string, io: Io): Promise<TokenRecord | null> {
    const item = await getItem(this.ctx, tokenKey(id), io);
    return item === null ? null : tokenOf(item);
  }

  async list(io: Io): Promise<TokenRecord[]> {
    const b = new ExprBuilder();
    const input = { KeyConditionExpression: b.eq('pk', TOKENS_PK), ConsistentRead: true, ...b.params() };
    const found: TokenRecord[] = [];
    for await (const page of queryPages(this.ctx, input, io)) found.push(...page.map(tokenOf));
    return found.sort((x, y) => (x.createdAt === y.createdAt ? cmp(x.id, y.id) : cmp(x.createdAt, y.createdAt)));
  }

  async revoke(id: string, at: string, io: Io): Promise<TokenRecord | null> {
    const token = await this.get(id, io);
    if (token === null || token.revokedAt !== null) return token;
    const b = new ExprBuilder();
    const n = new ExprBuilder();
    const outcome = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table, Key: tokenKey(id), UpdateExpression: `SET ${b.eq('revoked_at', at)}`,
          ConditionExpression: `attribute_exists(${b.name('pk')}) AND attribute_not_exists(${b.name('revoked_at')})`, ...b.params(),
        },
      },
      {
        Delete: {
          TableName: this.ctx.table, Key: nameKey(token.name),
          ConditionExpression: `attribute_not_exists(${n.name('pk')}) OR ${n.eq('id', id)}`, ...n.params(),
        },
      },
    ], io);
    if (outcome.ok) return { ...token, revokedAt: at };
    // Lost to a concurrent revoke: the stored record says how it ended.
    const now = await this.get(id, io);
    if (now !== null && now.revokedAt === null) {
      throw new DjcError('BACKEND_UNAVAILABLE', `${this.ctx.what}: revoking API token ${id} was cancelled (${outcome.reasons.map((r) => r.code).join(', ')})`, { hint: 'retry' });
    }
    return now;
  }

  async touch(id: string, at: string, io: Io): Promise<void> {
    const b = new ExprBuilder();
    const used = b.name('last_used_at');
    const cmd = new UpdateCommand({
      TableName: this.ctx.table, Key: tokenKey(id), UpdateExpression: `SET ${used} = ${b.value(at)}`,
      ConditionExpression: `attribute_exists(${b.name('pk')}) AND (attribute_not_exists(${used}) OR ${used} < ${b.value(at)})`, ...b.params(),
    });
    await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
  }
}

function withoutNulls(row: object): Item {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
