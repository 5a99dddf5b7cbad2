/**
 * Every DynamoDB request of the state store goes through here: AWS errors
 * are translated by `aws()` (errors.ts), `signal` becomes the SDK's
 * abortSignal (an aborted call is INTERRUPTED), and transaction conflicts
 * (two transactions on one item at once, which AWS cancels with
 * `TransactionConflict` and which the SDK does not retry) and transactions
 * cancelled by throttling (ditto) are retried with jittered backoff. A condition that does not hold is a result, not an
 * error: callers get the items' current images to explain it.
 */
import {
  BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand,
  type DynamoDBDocumentClient, type QueryCommandInput, type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, DjcError } from '../../errors.js';
import { THROTTLE_CODES } from './dynamo-errors.js';
import { aws } from './errors.js';

export type Item = Record<string, unknown>;
export type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface DynamoContext {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  /** `DynamoDB table "<name>"`: names the resource in every error. */
  readonly what: string;
  /** How long finished jobs and tasks are kept (their `expires_at` is end + this); 0: forever. */
  readonly retentionSeconds: number;
}

export interface Io {
  signal?: AbortSignal;
}

/** Why one item of a cancelled transaction failed: DynamoDB's code and the item's image (ALL_OLD). */
export interface Reason {
  code: string;
  item: Item | null;
}

export type TxOutcome = { ok: true } | { ok: false; reasons: Reason[] };

export type CondOutcome<T> = { ok: true; value: T } | { ok: false; item: Item | null };

const CONFLICT_TRIES = 8;

interface AwsLike {
  name?: string;
  CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[];
  Item?: Record<string, unknown>;
}

/** Sends one request: translated errors, abort support, conflict retries. */
export async function send<T>(ctx: DynamoContext, io: Io, call: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (io.signal?.aborted) throw interrupted(ctx, io.signal.reason);
  try {
    return await aws(ctx.what, () => retryConflicts(ctx, () => call(io.signal), io.signal));
  } catch (e) {
    if (io.signal?.aborted) throw interrupted(ctx, e);
    throw e;
  }
}

/** Like send, for a conditional single-item write: a failed condition returns the item's current image. */
export async function sendConditional<T>(ctx: DynamoContext, io: Io, call: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<CondOutcome<T>> {
  try {
    return { ok: true, value: await send(ctx, io, call) };
  } catch (e) {
    const cause = conditionCause(e);
    if (cause?.name !== 'ConditionalCheckFailedException') throw e;
    return { ok: false, item: cause.Item ? fromWire(cause.Item) : null };
  }
}

/** One TransactWriteItems; a cancellation returns the reason of every item, in order. */
export async function transact(ctx: DynamoContext, items: TxItem[], io: Io): Promise<TxOutcome> {
  try {
    await send(ctx, io, (abortSignal) => ctx.doc.send(new TransactWriteCommand({ TransactItems: items }), { abortSignal }));
    return { ok: true };
  } catch (e) {
    const cause = conditionCause(e);
    if (cause?.name !== 'TransactionCanceledException' || !cause.CancellationReasons) throw e;
    return { ok: false, reasons: reasonsOf(cause, items.length) };
  }
}

/** A strongly consistent GetItem; null if there is no such item. */
export async function getItem(ctx: DynamoContext, key: Item, io: Io, projection?: string[]): Promise<Item | null> {
  const proj = projection ? projectionOf(projection) : {};
  const out = await send(ctx, io, (abortSignal) =>
    ctx.doc.send(new GetCommand({ TableName: ctx.table, Key: key, ConsistentRead: true, ...proj }), { abortSignal }));
  return out.Item ?? null;
}

export type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/** Pages of a Query, following LastEvaluatedKey until the end or until the caller stops. */
export async function* queryPages(ctx: DynamoContext, input: QueryInput, io: Io): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    const out = await send(ctx, io, (abortSignal) =>
      ctx.doc.send(new QueryCommand({ ...input, TableName: ctx.table, ExclusiveStartKey: start }), { abortSignal }));
    start = out.LastEvaluatedKey;
    yield out.Items ?? [];
  } while (start);
}

/**
 * Strongly consistent BatchGetItem of any number of keys (100 per request),
 * retrying UnprocessedKeys with backoff. Returns the items found, in no order.
 */
export async function batchGet(ctx: DynamoContext, keys: Item[], io: Io): Promise<Item[]> {
  const found: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Item[] = keys.slice(i, i + 100);
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await sleep(Math.min(1_000, 20 * 2 ** round));
      const request = { [ctx.table]: { Keys: pending, ConsistentRead: true } };
      const out = await send(ctx, io, (abortSignal) => ctx.doc.send(new BatchGetCommand({ RequestItems: request }), { abortSignal }));
      found.push(...(out.Responses?.[ctx.table] ?? []));
      pending = out.UnprocessedKeys?.[ctx.table]?.Keys ?? [];
    }
  }
  return found;
}

/** ProjectionExpression and its names for a list of attributes. */
export function projectionOf(attrs: string[]): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names = Object.fromEntries(attrs.map((a) => [`#${a}`, a]));
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

function conditionCause(e: unknown): AwsLike | null {
  return e instanceof ConflictError ? ((e.cause ?? null) as AwsLike | null) : null;
}

function reasonsOf(cause: AwsLike, n: number): Reason[] {
  const raw = cause.CancellationReasons ?? [];
  return Array.from({ length: n }, (_, i) => {
    const r = raw[i];
    return { code: r?.Code ?? 'None', item: r?.Item ? fromWire(r.Item) : null };
  });
}

/**
 * True if the write failed only because of other transactions in flight, or
 * because a transaction was throttled (which the SDK does not retry: it
 * comes back as a cancellation, not as a throttling error).
 */
function isTxConflict(e: unknown): boolean {
  const err = e as AwsLike;
  if (err?.name === 'TransactionConflictException') return true;
  if (err?.name !== 'TransactionCanceledException' || !err.CancellationReasons) return false;
  const codes = err.CancellationReasons.map((r) => r.Code ?? 'None');
  const retryable = (c: string) => c === 'TransactionConflict' || THROTTLE_CODES.has(c);
  return codes.some(retryable) && codes.every((c) => c === 'None' || retryable(c));
}

function isThrottled(e: unknown): boolean {
  return ((e as AwsLike).CancellationReasons ?? []).some((r) => THROTTLE_CODES.has(r.Code ?? ''));
}

async function retryConflicts<T>(ctx: DynamoContext, call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isTxConflict(e) || signal?.aborted) throw e;
      if (attempt >= CONFLICT_TRIES) throw busy(ctx, e);
      // Throttling needs the capacity to refill: back off longer than for a conflict.
      const [base, cap] = isThrottled(e) ? [50, 2_000] : [10, 200];
      await sleep(Math.random() * Math.min(cap, base * 2 ** attempt));
    }
  }
}

/**
 * Still conflicting after the retries. A cancelled transaction goes back to
 * its caller (which reads the reasons, see txFailed); a single write that
 * kept meeting transactions on its item is BACKEND_UNAVAILABLE, not a bug.
 */
function busy(ctx: DynamoContext, e: unknown): unknown {
  if ((e as AwsLike).name !== 'TransactionConflictException') return e;
  return new DjcError('BACKEND_UNAVAILABLE', `${ctx.what} is too busy: a write kept meeting transactions on the same item (TransactionConflictException)`, {
    cause: e, hint: 'retry; if it persists, run fewer workers per job (every task move also updates the job item)',
  });
}

function interrupted(ctx: DynamoContext, cause: unknown): DjcError {
  return new DjcError('INTERRUPTED', `${ctx.what}: the request was aborted`, { cause });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Converts a wire-format item (`{ attr: { S: "x" } }`), as found in
 * CancellationReasons and ConditionalCheckFailed errors, which the document
 * client leaves marshalled. Numbers become JS numbers (ours are epoch ms and
 * counters, far below 2^53); binary values (inline outputs) stay bytes.
 */
export function fromWire(item: Record<string, unknown>): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromWireValue(v as Record<string, unknown>);
  return out;
}

function fromWireValue(v: Record<string, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v; // already native (should an SDK version convert it)
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('B' in v) return v.B instanceof Uint8Array ? v.B : Buffer.from(String(v.B), 'base64');
  if ('NULL' in v) return null;
  if ('M' in v) return fromWire(v.M as Record<string, unknown>);
  if ('L' in v) return (v.L as Record<string, unknown>[]).map(fromWireValue);
  if ('SS' in v) return new Set(v.SS as string[]);
  if ('NS' in v) return new Set((v.NS as string[]).map(Number));
  return undefined;
}
