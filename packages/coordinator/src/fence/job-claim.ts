/**
 * Per-job coordination fencing, coordinator side. A coordinator that starts
 * coordinating a job first CLAIMS it (StateStore.claimJob: the job's epoch
 * n → n+1) and then coordinates through `claim.backend`: a view of the
 * backend whose coordinator writes (transitionJob, updateJob, reclaimTasks,
 * cancelTasks) carry the claimed epoch as `fence`. Once another coordinator
 * claims the job (a takeover while this one was paused), those writes fail
 * with FencedError and write nothing; the claim is then `lost` and its
 * signal aborts, so the coordinator stops coordinating the job at once. A
 * read of the job that shows a higher epoch loses the claim too, before any
 * write is tried.
 */
import { FencedError, type Backend, type FenceOptions, type JobRecord, type StateStore } from '@djc/core';

export interface JobClaim {
  jobId: string;
  /** The job's epoch this claim got. */
  epoch: number;
  /** The backend to coordinate through: its coordinator writes are fenced with `epoch`. */
  backend: Backend;
  /** Aborted when the claim is lost (another coordinator claimed the job since). */
  signal: AbortSignal;
  /** True once lost. */
  lost(): boolean;
}

/** Claims the job for `owner` and returns the claim; the record returned by the claim is `job`. */
export async function claimJob(backend: Backend, jobId: string, owner: string): Promise<{ claim: JobClaim; job: JobRecord }> {
  const job = await backend.state.claimJob(jobId, owner);
  const epoch = job.coordinator?.epoch ?? 0;
  const ctl = new AbortController();
  const lose = () => {
    if (!ctl.signal.aborted) ctl.abort(new FencedError(jobId, epoch, null));
  };
  const state = fencedState(backend.state, jobId, epoch, lose);
  // A view: every other member (queue, blobs, workerEnv, …) is the backend's own.
  const view = Object.create(backend, { state: { value: state, enumerable: true } }) as Backend;
  return { claim: { jobId, epoch, backend: view, signal: ctl.signal, lost: () => ctl.signal.aborted }, job };
}

/** The StateStore with this job's coordinator writes fenced, and reads of it checked for a newer claim. */
function fencedState(state: StateStore, jobId: string, epoch: number, lose: () => void): StateStore {
  const fenced = <T>(p: Promise<T>): Promise<T> => p.catch((e: unknown) => {
    if (e instanceof FencedError) lose();
    throw e;
  });
  const withFence = (opts: FenceOptions | undefined, id: string): FenceOptions | undefined => (id === jobId ? { ...opts, fence: epoch } : opts);
  const overrides: Partial<StateStore> = {
    getJob: async (id, opts) => {
      const job = await state.getJob(id, opts);
      if (id === jobId && (job?.coordinator?.epoch ?? 0) > epoch) lose();
      return job;
    },
    transitionJob: (id, from, to, patch, opts) => fenced(state.transitionJob(id, from, to, patch, withFence(opts, id))),
    updateJob: (id, patch, opts) => fenced(state.updateJob(id, patch, withFence(opts, id))),
    reclaimTasks: (id, req, opts) => fenced(state.reclaimTasks(id, req, withFence(opts, id))),
    cancelTasks: (id, opts) => fenced(state.cancelTasks(id, withFence(opts, id))),
  };
  return new Proxy(state, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key in overrides) return overrides[key as keyof StateStore];
      const v: unknown = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
