/**
 * Job items: create (job + config items in one transaction), read, list
 * through the job indexes, and conditional status changes with a patch.
 * The CONFIG item (config and retry history) changes only on `djc retry`,
 * in the same transaction as the job item, which then names its new
 * revision (`config_rev`): configs are cached per job id and revision, and
 * re-read when a job item names another. A status change that ends the job
 * (or re-opens a finished one) also sets (or removes) the TTL of the job's
 * three items in one transaction (see dynamo-schema.ts).
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../errors.js';
import { capError } from '../../util/cap-text.js';
import type { JobRecord, NewJob } from '../../model/job.js';
import { stageRunIds } from '../../pipeline/run-ids.js';
import { assertJobTransition, TERMINAL_JOB, type JobStatus } from '../../model/status.js';
import type { JobPatch, ListJobsOptions } from '../../ports/state-store.js';
import { fenceCondition, fencedBy } from './dynamo-fence.js';
import { noJob, txFailed } from './dynamo-errors.js';
import { UpdateBuilder } from './dynamo-expressions.js';
import { configRevOf, configText, newJobItems, toJobRecord, toJobSettings, type JobSettings } from './dynamo-items.js';
import {
  batchGet, getItem, queryPages, sendConditional, transact,
  type CondOutcome, type DynamoContext, type Io, type Item, type QueryInput, type TxItem,
} from './dynamo-request.js';
import { requestsOf } from './dynamo-request-counts.js';
import {
  ALL_JOBS_PK, configKey, expiryOf, INDEX, ITEM_VERSION, jobKey, jobPk, requestsKey, statusPk, TTL_ATTRIBUTE, type ItemKey,
} from './dynamo-schema.js';

const CONFIG_CACHE = 1_000;
/** Jobs per createMany transaction: two items each, DynamoDB takes 100. */
const TX_JOBS = 50;
/** A status change that keeps losing its race to other writers gives up after this many tries. */
const TRANSITION_TRIES = 5;

export class DynamoJobOps {
  private readonly configs = new Map<string, JobSettings>();

  constructor(private readonly ctx: DynamoContext) {}

  async create(job: NewJob, io: Io): Promise<JobRecord> {
    const items = newJobItems(job, new Date().toISOString());
    const put = (Item: Item): TxItem => ({
      Put: { TableName: this.ctx.table, Item, ConditionExpression: 'attribute_not_exists(pk)' },
    });
    const res = await transact(this.ctx, [put(items.job), put(items.config)], io);
    if (!res.ok) {
      const codes = res.reasons.map((r) => r.code);
      if (codes.includes('ConditionalCheckFailed')) throw new ConflictError(`job ${job.jobId} already exists`, { jobId: job.jobId });
      throw txFailed(this.ctx.what, codes, job.jobId);
    }
    const settings: JobSettings = { config: job.config, retries: [], rev: null, pipeline: job.pipeline ?? null };
    this.remember(job.jobId, settings);
    return toJobRecord(items.job, settings, this.ctx.what);
  }

  /**
   * Creates the jobs that do not exist yet, in order, in transactions of at
   * most TX_JOBS jobs (job + config item each). A job that exists fails its
   * transaction's condition: the chunk is written again without it.
   */
  async createMany(jobs: readonly NewJob[], io: Io): Promise<number> {
    const createdAt = new Date().toISOString();
    let created = 0;
    for (let i = 0; i < jobs.length; i += TX_JOBS) {
      let chunk = jobs.slice(i, i + TX_JOBS);
      while (chunk.length > 0) {
        const tx = chunk.flatMap((job) => {
          const items = newJobItems(job, createdAt);
          return [items.job, items.config].map((Item): TxItem => ({
            Put: { TableName: this.ctx.table, Item, ConditionExpression: 'attribute_not_exists(pk)' },
          }));
        });
        const res = await transact(this.ctx, tx, io);
        if (res.ok) {
          created += chunk.length;
          for (const job of chunk) this.remember(job.jobId, { config: job.config, retries: [], rev: null, pipeline: job.pipeline ?? null });
          break;
        }
        const exists = new Set(res.reasons.flatMap((r, k) => (r.code === 'ConditionalCheckFailed' ? [Math.floor(k / 2)] : [])));
        if (exists.size === 0) throw txFailed(this.ctx.what, res.reasons.map((r) => r.code), chunk[0]?.jobId);
        chunk = chunk.filter((_, k) => !exists.has(k));
      }
    }
    return created;
  }

  /**
   * One consistent Query: the job item and its request counts
   * (`sk BETWEEN JOB AND REQUESTS`) when its config is cached, else the
   * config too (`sk BETWEEN CONFIG AND REQUESTS`).
   */
  async get(jobId: string, io: Io): Promise<JobRecord | null> {
    const from = this.configs.has(jobId) ? jobKey(jobId).sk : configKey(jobId).sk;
    const input: QueryInput = {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':from': from, ':to': requestsKey(jobId).sk },
      ConsistentRead: true,
    };
    const items: Item[] = [];
    for await (const page of queryPages(this.ctx, input, io)) items.push(...page);
    const job = items.find((i) => i.sk === 'JOB');
    const config = items.find((i) => i.sk === 'CONFIG');
    if (!job) return null;
    if (config) this.remember(jobId, toJobSettings(config, this.ctx.what));
    return this.record(job, io, items.find((i) => i.sk === 'REQUESTS'));
  }

  /** Newest first, through `by_created` or `by_status`; each job re-read consistently. */
  async list(opts: ListJobsOptions, io: Io): Promise<JobRecord[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const out: JobRecord[] = [];
    if (limit <= 0) return out;
    if (opts.parentId !== undefined) return this.listChildren(opts.parentId, opts.status, limit, io);
    const [index, key, value] = opts.status
      ? [INDEX.byStatus, 'gsi1pk', statusPk(opts.status)]
      : [INDEX.byCreated, 'gsi2pk', ALL_JOBS_PK];
    const input: QueryInput = {
      IndexName: index,
      KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': key },
      ExpressionAttributeValues: { ':k': value },
      ScanIndexForward: false,
      Limit: Math.min(100, limit),
    };
    for await (const page of queryPages(this.ctx, input, io)) {
      const jobs = await this.fetch(page.map((k) => String(k.pk).slice('JOB#'.length)), io);
      // Stage runs are in the job indexes too (their ids resolve by prefix and name); a top-level list drops them.
      out.push(...jobs.filter((j) => j.parentId === null && (!opts.status || j.status === opts.status)));
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  /** A pipeline's stage runs, read by key: their ids derive from its id and graph (pipeline/run-ids.ts). */
  private async listChildren(parentId: string, status: JobStatus | undefined, limit: number, io: Io): Promise<JobRecord[]> {
    const parent = await this.get(parentId, io);
    if (!parent?.pipeline) return [];
    const runs = await this.fetch(stageRunIds(parentId, parent.pipeline), io);
    return runs.filter((j) => j.parentId === parentId && (!status || j.status === status)).slice(0, limit);
  }

  /** Status of the job, or null if there is no such job. */
  async status(jobId: string, io: Io): Promise<JobStatus | null> {
    const item = await getItem(this.ctx, jobKey(jobId), io, ['status']);
    return item ? (item.status as JobStatus) : null;
  }

  /** claimJob: ADD 1 to the epoch and set the owner's mark, in one UpdateItem; the new item is the claim. */
  async claim(jobId: string, owner: string, io: Io): Promise<JobRecord> {
    const b = new UpdateBuilder().set('coordinator_owner', owner).set('coordinator_seen_at', Date.now()).add('coordinator_epoch', 1);
    const res = await this.write(jobId, b, `attribute_exists(${b.name('pk')})`, io);
    if (!res.ok) throw noJob(jobId);
    return res.value;
  }

  async transition(jobId: string, from: readonly JobStatus[], to: JobStatus, patch: JobPatch, io: Io, fence?: number): Promise<JobRecord> {
    let status = await this.status(jobId, io);
    for (let attempt = 1; ; attempt++) {
      if (status === null) throw noJob(jobId);
      if (!from.includes(status)) {
        throw new ConflictError(`job ${jobId} is ${status}, not ${from.join(' or ')}`, { jobId, details: { status } });
      }
      assertJobTransition(status, to, jobId);
      const b = patchBuilder(patch).set('status', to).set('gsi1pk', statusPk(to));
      const expiry = this.expiryChange(status, to, patch);
      const condition = `${b.eq('status', status)}${fenceCondition(b, fence)}`;
      const res = expiry === undefined && patch.settings === undefined
        ? await this.write(jobId, b, condition, io)
        : await this.writeTogether(jobId, b, condition, { expiry, settings: patch.settings }, io);
      if (res.ok) return res.value;
      const fenced = fencedBy(jobId, fence, res.item);
      if (fenced) throw fenced;
      status = res.item ? (res.item.status as JobStatus) : null;
      if (attempt >= TRANSITION_TRIES && status !== null && from.includes(status)) {
        throw new ConflictError(`job ${jobId}: its status kept changing (now ${status})`, { jobId, details: { status } });
      }
    }
  }

  async update(jobId: string, patch: JobPatch, io: Io, fence?: number): Promise<JobRecord> {
    const b = patchBuilder(patch);
    const condition = `attribute_exists(${b.name('pk')})${fenceCondition(b, fence)}`;
    const res = patch.settings === undefined
      ? await this.write(jobId, b, condition, io)
      : await this.writeTogether(jobId, b, condition, { settings: patch.settings }, io);
    if (!res.ok) throw fencedBy(jobId, fence, res.item) ?? noJob(jobId);
    return res.value;
  }

  /** The conditional UpdateItem of a patch (+1 version); on a failed condition, the item as it is. */
  private async write(jobId: string, b: UpdateBuilder, condition: string, io: Io): Promise<CondOutcome<JobRecord>> {
    b.add('version', 1);
    const cmd = new UpdateCommand({
      TableName: this.ctx.table,
      Key: jobKey(jobId),
      ...b.input(condition),
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const res = await sendConditional(this.ctx, io, (abortSignal) => this.ctx.doc.send(cmd, { abortSignal }));
    if (!res.ok) return res;
    return { ok: true, value: await this.record(res.value.Attributes ?? {}, io) };
  }

  /**
   * The TTL a status change gives the job's items: an expiry (or null when
   * retention is off) when the job ends, null (remove) when a finished job
   * re-opens, undefined (untouched) otherwise.
   */
  private expiryChange(from: JobStatus, to: JobStatus, patch: JobPatch): number | null | undefined {
    if (TERMINAL_JOB.has(to)) return expiryOf(patch.endedAt, this.ctx.retentionSeconds);
    if (TERMINAL_JOB.has(from)) return null;
    return undefined;
  }

  /**
   * The conditional update of the job item together with its other items, in
   * one TransactWriteItems: with `expiry` (a number or null, not undefined),
   * the same `expires_at` on its CONFIG and REQUESTS items (REQUESTS is
   * created if no counts were flushed yet, so counts flushed later expire
   * with it); with `settings`, the CONFIG item's config and retry history,
   * under a new revision that the job item names. The job is then read back
   * (a transaction returns no item).
   */
  private async writeTogether(
    jobId: string, b: UpdateBuilder, condition: string, also: { expiry?: number | null; settings?: JobPatch['settings'] }, io: Io,
  ): Promise<CondOutcome<JobRecord>> {
    const { expiry, settings } = also;
    const update = (key: ItemKey, u: UpdateBuilder, cond: string): TxItem => ({
      Update: { TableName: this.ctx.table, Key: key, ...u.input(cond), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    });
    const config = new UpdateBuilder().set(TTL_ATTRIBUTE, expiry);
    if (settings) {
      const rev = randomUUID();
      b.set('config_rev', rev);
      config.set('config', configText(jobId, settings.config)).set('retries_json', JSON.stringify(settings.retries)).set('config_rev', rev);
    }
    b.set(TTL_ATTRIBUTE, expiry).add('version', 1);
    const items = [update(jobKey(jobId), b, condition), update(configKey(jobId), config, `attribute_exists(${config.name('pk')})`)];
    if (expiry !== undefined) {
      items.push(update(requestsKey(jobId), new UpdateBuilder().set('v', ITEM_VERSION).set('job_id', jobId).set(TTL_ATTRIBUTE, expiry), ''));
    }
    const res = await transact(this.ctx, items, io);
    if (!res.ok) {
      const [job] = res.reasons;
      if (job?.code === 'ConditionalCheckFailed') return { ok: false, item: job.item };
      throw txFailed(this.ctx.what, res.reasons.map((r) => r.code), jobId);
    }
    const record = await this.get(jobId, io);
    if (!record) throw noJob(jobId);
    return { ok: true, value: record };
  }

  /** Job records for these ids, in this order (missing ones skipped), read consistently. */
  private async fetch(jobIds: string[], io: Io): Promise<JobRecord[]> {
    const keys = jobIds.flatMap((id) => (this.configs.has(id) ? [] : [configKey(id)]).concat(jobKey(id), requestsKey(id)));
    const items = await batchGet(this.ctx, keys, io);
    const byKey = new Map(items.map((i) => [`${String(i.pk)}|${String(i.sk)}`, i]));
    for (const item of items) {
      if (item.sk === 'CONFIG') this.remember(String(item.job_id), toJobSettings(item, this.ctx.what));
    }
    const out: JobRecord[] = [];
    for (const id of jobIds) {
      const job = byKey.get(`${jobPk(id)}|JOB`);
      if (job) out.push(await this.record(job, io, byKey.get(`${jobPk(id)}|REQUESTS`)));
    }
    return out;
  }

  /**
   * A job record from its item (and its REQUESTS item), with its settings
   * from the cache, or from the table when none is cached for the revision
   * the job item names.
   */
  private async record(job: Item, io: Io, requests?: Item): Promise<JobRecord> {
    const jobId = String(job.job_id);
    let settings = this.configs.get(jobId);
    if (!settings || settings.rev !== configRevOf(job)) {
      const item = await getItem(this.ctx, configKey(jobId), io);
      if (!item) throw noJob(jobId);
      settings = toJobSettings(item, this.ctx.what);
      this.remember(jobId, settings);
    }
    return toJobRecord(job, settings, this.ctx.what, requestsOf(requests));
  }

  private remember(jobId: string, settings: JobSettings): void {
    if (this.configs.size >= CONFIG_CACHE && !this.configs.has(jobId)) {
      const oldest = this.configs.keys().next();
      if (!oldest.done) this.configs.delete(oldest.value);
    }
    this.configs.set(jobId, settings);
  }
}

/** SET/REMOVE clauses for a job patch (undefined: leave alone; null: clear). */
function patchBuilder(p: JobPatch): UpdateBuilder {
  const b = new UpdateBuilder()
    .set('reason', p.reason)
    .set('started_at', p.startedAt)
    .set('ended_at', p.endedAt)
    .set('error', capError(p.error))
    .set('output_path', p.outputPath)
    .set('cancel_requested', p.cancelRequested)
    .set('records_total', p.recordsTotal)
    .set('mode', p.mode)
    .set('queued_at', p.queuedAt)
    .set('coordination_json', p.coordination === undefined ? undefined : p.coordination && JSON.stringify(p.coordination))
    .set('workers_json', p.workers === undefined ? undefined : p.workers && JSON.stringify(p.workers))
    .set('speculation_json', p.speculation === undefined ? undefined : JSON.stringify(p.speculation));
  if (p.coordinator !== undefined) {
    b.set('coordinator_owner', p.coordinator?.owner ?? null).set('coordinator_seen_at', p.coordinator?.seenAt ?? null);
  }
  return b;
}
