/** The JobService of a CLI that opens the backend itself (no DJC_URL): the functions the API's routes call, called here. */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { access, constants } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DjcError, taskDocument } from '@djc/core/read';
import type { Backend, JobStatus, TaskStatus } from '@djc/core';
// Reads import the light entry; what writes (submit, cancel, pause, priority,
// results) loads the whole package, and the worker's dispatch, when it runs.
import { failureReport, jobDocument, jobListDocument, observedWorkers, queuedReason, QUEUE_STALE_MS, readQueueDocument, resolveJob, whyDocument } from '@djc/coordinator/read';
import { settleHome, type Cli } from './context.js';
import type { JobService, PauseView, QueueView, ResultView, StatusView, SubmitOutcome, SubmitRequest } from './job-service.js';

const coordinator$ = () => import('@djc/coordinator');

export class LocalJobService implements JobService {
  readonly remote = false;
  private opened: Promise<Backend> | null = null;

  constructor(private readonly cli: Cli, private readonly create: boolean) {}

  get where(): string {
    return this.cli.home;
  }

  /** The backend, opened on first use (a bad job file is reported before a home is created). */
  backend(): Promise<Backend> {
    this.opened ??= this.open();
    return this.opened;
  }

  private async open(): Promise<Backend> {
    const { cli } = this;
    const [{ existsSync }, { describeHome, openBackend }] = await Promise.all([import('node:fs'), import('@djc/core/backends')]);
    // Say where state goes when djc, not the user, chose the place.
    const isNew = this.create && cli.resolvedHome.source === 'user' && !existsSync(cli.home);
    const backend = await openBackend(cli.opts, process.env, { create: this.create });
    if (isNew && backend.name === 'local') cli.err(`djc: created the home ${describeHome(cli.resolvedHome)}`);
    if (this.create) settleHome(cli, backend);
    return backend;
  }

  /** The command's process exits right after (main.ts): the backend is closed as exiting (Backend CloseOptions). */
  async close(): Promise<void> {
    if (this.opened) await (await this.opened).close({ exiting: true });
  }

  async submit(file: string, o: SubmitRequest): Promise<SubmitOutcome> {
    if (o.afterAny && o.after === undefined) throw new DjcError('USAGE', '--after-any needs --after JOB[,JOB]', { hint: 'e.g. djc submit job.yaml --after clean --after-any' });
    // `@djc/coordinator/submit`, not the index; the worker's modules (dispatch-note) only for an external dispatcher's note.
    const [{ coordinatorAlive, notifySubmitted, parsePriority, submitWorkflow }, { loadWorkflowFile }] = await Promise.all([import('@djc/coordinator/submit'), import('@djc/core/submit')]);
    const priority = o.priority === undefined ? undefined : parsePriority(o.priority, '--priority');
    // A handler module probed good before, with its files unchanged, is not loaded again (a Node start saved).
    const workflow = await loadWorkflowFile(file, { set: o.set, checkHandlers: true, moduleCheckCache: join(this.cli.home, 'module-probe') });
    const warnings = workflow.kind === 'pipeline' ? workflow.pipeline.warnings : workflow.job.warnings;
    const backend = await this.backend();
    const job = await submitWorkflow(backend, workflow, { after: o.after?.split(','), afterAny: o.afterAny, fresh: o.fresh, priority, log: this.cli.log });
    // A daemon of this home runs its next tick now rather than at its next poll.
    notifySubmitted(this.cli.home);
    const worker = workflow.kind === 'job' && job.config.compute.dispatcher === 'external' ? (await import('./dispatch-note.js')).externalWorker(this.cli, backend, job) : null;
    const answer = { jobId: job.jobId, status: job.status, ...(job.reason ? { reason: job.reason } : {}) };
    return { answer, warnings: warnings ?? [], worker, coordinatorAlive: await coordinatorAlive(backend), backendName: backend.name };
  }

  async status(ref: string | undefined, o: { details?: boolean } = {}): Promise<StatusView> {
    const backend = await this.backend();
    // Local workers killed while no coordinator watched show as gone, not running.
    const job = observedWorkers(await resolveJob(backend, ref));
    const doc = await jobDocument(backend, job);
    if (job.kind === 'pipeline') return { job, doc, runs: await backend.state.listJobs({ parentId: job.jobId }) };
    if (!o.details) return { job, doc, runs: [] };
    // The top groups of the first failed tasks: cheap enough for every status call.
    const failures = job.tasks.failed > 0 ? await failureReport(backend, job, { maxTasks: 1000, lastLines: false, maxGroups: 3 }) : undefined;
    const queued = (await queuedReason(backend, job))?.message;
    return { job, doc, runs: [], ...(failures ? { failures } : {}), ...(queued ? { queued } : {}) };
  }

  async list(o: { status?: JobStatus; limit: number }) {
    const backend = await this.backend();
    return jobListDocument(backend, await backend.state.listJobs(o));
  }

  async tasks(ref: string | undefined, o: { status?: TaskStatus; limit?: number }) {
    const backend = await this.backend();
    const { jobId } = await resolveJob(backend, ref);
    return { jobId, tasks: (await backend.state.listTasks(jobId, o)).map(taskDocument) };
  }

  async watch(jobId: string, o: Parameters<JobService['watch']>[1]) {
    const { watchJob } = await import('./watch-job.js');
    return watchJob(await this.backend(), jobId, o);
  }

  async cancel(ref: string) {
    const { cancelJob, cancelPipeline, statusDocument } = await coordinator$();
    const backend = await this.backend();
    const target = await resolveJob(backend, ref);
    // A pipeline cancels every unfinished stage run with it.
    const job = target.kind === 'pipeline' ? await cancelPipeline(backend, target.jobId, this.cli.log) : await cancelJob(backend, target.jobId, this.cli.log);
    const runs = target.kind === 'pipeline' ? (await backend.state.listJobs({ parentId: target.jobId })).map((r) => ({ jobId: r.jobId, status: r.status })) : null;
    return { doc: statusDocument(job), runs };
  }

  async pause(ref: string, resume: boolean): Promise<PauseView> {
    const { coordinatorAlive, pauseDocument, pauseJob, resumeJob } = await coordinator$();
    const backend = await this.backend();
    const target = await resolveJob(backend, ref);
    const outcome = resume ? await resumeJob(backend, target.jobId) : await pauseJob(backend, target.jobId);
    const { job } = outcome;
    const daemonWaits = resume && job.mode === 'daemon' && job.status === 'QUEUED' && !(await coordinatorAlive(backend));
    return { ...pauseDocument(outcome), daemonWaits };
  }

  async priority(ref: string, text: string) {
    const { parsePriority, priorityDocument, setPriority } = await coordinator$();
    const priority = parsePriority(text);
    const backend = await this.backend();
    const target = await resolveJob(backend, ref);
    return priorityDocument(await setPriority(backend, target.jobId, priority));
  }

  async queue(): Promise<QueueView> {
    const backend = await this.backend();
    const doc = await readQueueDocument(backend);
    const ageMs = doc ? Math.max(0, Date.now() - Date.parse(doc.at)) : null;
    return { queue: doc, ageMs, stale: ageMs !== null && ageMs > QUEUE_STALE_MS, where: backend.location };
  }

  async results(ref: string | undefined, o: { task?: number; stage?: string }): Promise<ResultView> {
    const { locateResult } = await coordinator$();
    const backend = await this.backend();
    const { job, path, taskId, inline } = await locateResult(backend, await resolveJob(backend, ref), o);
    const doc = { jobId: job.jobId, ...(taskId === undefined ? {} : { taskId }), status: job.status, output: { path } };
    return {
      doc,
      async open() {
        if (inline) return inline;
        const stream = path.startsWith('blob:') ? await backend.blobs.getStream(path.slice(5)) : await openResultFile(path, job.jobId);
        if (!stream) throw new DjcError('NOT_FOUND', `${path} is missing from the blob store`, { jobId: job.jobId, taskId });
        return stream;
      },
    };
  }

  async failures(ref: string | undefined) {
    const backend = await this.backend();
    return failureReport(backend, await resolveJob(backend, ref));
  }

  async why(ref: string | undefined, o: { limit?: number }) {
    const backend = await this.backend();
    return whyDocument(backend, await resolveJob(backend, ref), o);
  }
}

/** A result file to read; one this user may not read (private to whoever ran the job) is a clear error, exit 3. */
async function openResultFile(path: string, jobId: string): Promise<Readable> {
  try {
    await access(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DjcError('BACKEND_UNAVAILABLE', `cannot read the result file ${path} of ${jobId}: permission denied`, {
        jobId, hint: 'djc writes result files readable by their owner only (mode 0600): read it as that user, or run jobs with DJC_HOME_SHARING=group for group-readable results',
      });
    }
  }
  return createReadStream(path);
}
