/**
 * The JobService of a CLI pointed at a coordinator (DJC_URL, DJC_TOKEN):
 * every call is a request to its /v1 API (docs/api.md), which answers with
 * the documents the local path builds. Nothing here opens a backend or
 * reads DJC_HOME.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DjcError } from '@djc/core/read';
import type { ConfigIssue, JobStatus, Logger, JobStatusDocument, TaskDocument, TaskStatus } from '@djc/core';
import { parseQueueDocument, type FailureReport, type JobDocument, type WhyDocument } from '@djc/coordinator/read';

/** Checks a priority as the daemon will (the package's index: only submit and priority load it). */
const parsePriority = async (text: string, what?: string) => (await import('@djc/coordinator')).parsePriority(text, what);
import type { JobListDoc, JobService, PauseView, PriorityView, QueueView, ResultView, StatusView, SubmitOutcome, SubmitRequest } from '../job-service.js';
import { ApiClient } from './http-client.js';
import { jobView, pipelineViews } from './job-view.js';
import type { RemoteTarget } from './remote-target.js';
import { watchRemote } from './watch-remote.js';

/** The daemon keeps a submitted body as <home>/api/submissions/<sha>.yaml: its messages name that copy; the user knows the file by the name they gave. */
const asSent = (text: string, file: string) => text.replace(/[^\s:"']*api\/submissions\/[0-9a-f]{16}\.yaml/g, file);

const job = (ref: string | undefined) => `/v1/jobs/${encodeURIComponent(ref ?? 'last')}`;
const JOB_PAGE = 500;
const TASK_PAGE = 1000;

export class RemoteJobService implements JobService {
  readonly remote = true;
  readonly api: ApiClient;

  constructor(readonly target: RemoteTarget, log?: Logger) {
    this.api = new ApiClient(target, log);
  }

  get where(): string {
    return `DJC_URL=${this.target.url}`;
  }

  async close(): Promise<void> {}

  async submit(file: string, o: SubmitRequest): Promise<SubmitOutcome> {
    if (o.afterAny && o.after === undefined) throw new DjcError('USAGE', '--after-any needs --after JOB[,JOB]', { hint: 'e.g. djc submit job.yaml --after clean --after-any' });
    if (o.priority !== undefined) await parsePriority(o.priority, '--priority');
    const path = resolve(file);
    const body = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new DjcError('CONFIG_INVALID', `cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { hint: 'check the path of the job file' });
    });
    const baseDir = dirname(path);
    const query = { base_dir: baseDir, set: o.set, after: o.after, after_any: o.afterAny, fresh: o.fresh, priority: o.priority };
    try {
      const { warnings, ...answer } = await this.api.json<SubmitOutcome['answer'] & { warnings?: ConfigIssue[] }>('POST', '/v1/jobs', {
        query, body, contentType: 'application/yaml', headers: { 'idempotency-key': randomUUID() },
      });
      return { answer, warnings: (warnings ?? []).map((w) => ({ ...w, file: asSent(w.file, file) })), worker: null, coordinatorAlive: true, backendName: 'remote' };
    } catch (e) {
      throw this.pathsHint(e, file, baseDir);
    }
  }

  /** A file the daemon cannot read: say that it reads paths on its own host. */
  private pathsHint(original: unknown, file: string, baseDir: string): unknown {
    if (!(original instanceof DjcError)) return original;
    const details = original.details === undefined ? undefined : JSON.parse(asSent(JSON.stringify(original.details), file)) as unknown;
    const e = new DjcError(original.code, asSent(original.message, file), { hint: original.hint && asSent(original.hint, file), details, cause: original });
    if (!['CONFIG_INVALID', 'INPUT_INVALID', 'NOT_FOUND'].includes(e.code)) return e;
    const text = `${e.message} ${JSON.stringify(e.details ?? '')}`;
    if (!/no such file|not found|does not exist|cannot read|ENOENT|not readable/i.test(text) && !text.includes(baseDir)) return e;
    const hint = `the coordinator at ${this.where} reads the paths in ${file} (input, handler, extends) on its own host, relative to ${baseDir}: `
      + 'a coordinator on another host cannot read this machine\'s files; put them where it can read them (the same path on a shared filesystem, or s3://…)';
    return new DjcError(e.code, e.message, { hint: e.hint ? `${e.hint}; ${hint}` : hint, details: e.details, cause: e });
  }

  async status(ref: string | undefined, o: { details?: boolean } = {}): Promise<StatusView> {
    const doc = await this.api.json<JobDocument>('GET', job(ref));
    if (doc.kind === 'pipeline') return { doc, ...pipelineViews(doc) };
    const view: StatusView = { job: jobView(doc), doc, runs: [] };
    if (!o.details) return view;
    if (doc.tasks.failed > 0) view.failures = await this.api.json<FailureReport>('GET', `${job(doc.jobId)}/failures`, { query: { max_tasks: 1000, max_groups: 3, last_lines: false } });
    const queued = 'queueReason' in doc ? doc.queueReason?.message : undefined;
    if (queued) view.queued = queued;
    return view;
  }

  async list(o: { status?: JobStatus; limit: number }): Promise<JobListDoc> {
    const jobs: JobListDoc['jobs'] = [];
    let cursor: string | null | undefined;
    do {
      const page = await this.api.json<JobListDoc & { nextCursor: string | null }>('GET', '/v1/jobs', { query: { status: o.status, limit: Math.min(JOB_PAGE, o.limit - jobs.length), cursor: cursor ?? undefined } });
      jobs.push(...page.jobs);
      cursor = page.nextCursor;
    } while (cursor && jobs.length < o.limit);
    return { jobs };
  }

  async tasks(ref: string | undefined, o: { status?: TaskStatus; limit?: number }) {
    const limit = o.limit ?? Infinity;
    const tasks: TaskDocument[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await this.api.json<{ tasks: TaskDocument[]; nextCursor: string | null }>('GET', `${job(ref)}/tasks`, { query: { status: o.status, limit: Math.min(TASK_PAGE, limit - tasks.length), cursor: cursor ?? undefined } });
      tasks.push(...page.tasks);
      cursor = page.nextCursor;
    } while (cursor && tasks.length < limit);
    // The id is for the message of an empty list only (a ref may be a name or "last").
    const jobId = tasks.length === 0 ? (await this.api.json<JobStatusDocument>('GET', job(ref))).jobId : ref ?? 'last';
    return { jobId, tasks };
  }

  async watch(jobId: string, o: Parameters<JobService['watch']>[1]) {
    return watchRemote(this.api, jobId, o);
  }

  async cancel(ref: string) {
    const doc = await this.post<JobStatusDocument>(`${job(ref)}/cancel`);
    if (doc.kind !== 'pipeline') return { doc, runs: null };
    const { runs } = pipelineViews(await this.api.json<JobDocument>('GET', job(doc.jobId)));
    return { doc, runs: runs.map((r) => ({ jobId: r.jobId, status: r.status })) };
  }

  async pause(ref: string, resume: boolean): Promise<PauseView> {
    return { ...(await this.post<PauseView>(`${job(ref)}/${resume ? 'resume' : 'pause'}`)), daemonWaits: false };
  }

  async priority(ref: string, text: string): Promise<PriorityView> {
    await parsePriority(text);
    return this.post<PriorityView>(`${job(ref)}/priority`, { priority: text });
  }

  /** `djc retry` over the API: the re-run is left to the coordinator (as --detach). */
  async retry(ref: string, o: { set: string[]; task?: string; error?: string }): Promise<{ jobId: string; status: JobStatus }> {
    return this.post(`${job(ref)}/retry`, { set: o.set, ...(o.task === undefined ? {} : { task: o.task }), ...(o.error === undefined ? {} : { error: o.error }) });
  }

  async queue(): Promise<QueueView> {
    const answer = await this.api.json<{ queue: unknown; ageMs: number | null; stale: boolean }>('GET', '/v1/queue');
    return { queue: answer.queue === null ? null : await parseQueueDocument(answer.queue), ageMs: answer.ageMs, stale: answer.stale, where: this.where };
  }

  async results(ref: string | undefined, o: { task?: number; stage?: string }): Promise<ResultView> {
    const query = { task: o.task, stage: o.stage };
    const doc = await this.api.json<ResultView['doc']>('GET', `${job(ref)}/results`, { query });
    return { doc, open: () => this.api.send('GET', `${job(doc.jobId)}/results`, { query: { ...query, content: 'true' } }) };
  }

  async why(ref: string | undefined, o: { limit?: number }): Promise<WhyDocument> {
    return this.api.json<WhyDocument>('GET', `${job(ref)}/why`, { query: { limit: o.limit } });
  }

  async failures(ref: string | undefined): Promise<FailureReport> {
    return this.api.json<FailureReport>('GET', `${job(ref)}/failures`);
  }

  private post<T>(path: string, body?: unknown): Promise<T> {
    return this.api.json<T>('POST', path, { headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }
}

