import type { Backend, LeaseRef, Logger, ReceivedMessage } from '@djc/core';

/**
 * Keeps an attempt's lease and its message's visibility alive every
 * leaseMs/3. When the lease is lost (reclaimed, or the job was cancelled)
 * it aborts the attempt through `controller`.
 */
export function startHeartbeat(opts: {
  backend: Backend;
  msg: ReceivedMessage;
  lease: LeaseRef;
  leaseMs: number;
  controller: AbortController;
  log: Logger;
}): () => void {
  const { backend, msg, lease, leaseMs, controller, log } = opts;
  const { jobId, taskId } = msg.message;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const held = await backend.state.heartbeat(jobId, taskId, lease, leaseMs);
        if (!held) {
          controller.abort(new Error('lease lost: the task was reclaimed or the job was cancelled'));
          return;
        }
        await backend.queue.extend(msg.receipt, leaseMs);
      } catch (e) {
        log.warn({ err: e, jobId, taskId }, 'heartbeat failed');
      } finally {
        busy = false;
      }
    })();
  }, Math.max(200, Math.floor(leaseMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
