import { createLogger, type CoordinatorInfo } from '@djc/core';
import { join } from 'node:path';
import {
  describeCapacity, keepHeapSmall, localCapacity, poolsOf, runDaemon, schedulerSettingsOf, startDaemonHealth, watchSubmits,
  type SchedulerSnapshot, type Term,
} from '@djc/coordinator';
import { createMetrics } from '@djc/coordinator/metrics';
import { API_SOCKET, createAuthorizer, serveApi, type RunningApi } from '@djc/coordinator/service';
import { workerProcessMain } from '@djc/worker';
import { withBackend, type Cli } from '../context.js';
import { dispatcherFor, warmPoolFor } from '../dispatch-context.js';
import { daemonSettingsOf, type CapacityFlags } from '../daemon-settings-flags.js';

/** `djc coordinator`'s HTTP API flags (docs/api.md). */
export interface ApiFlags {
  listen?: string;
  socket?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

/** `djc coordinator`'s own health log (docs/operations.md). */
export interface HealthFlags {
  /** Summary line period (ms); 0: none. */
  summaryEvery?: number;
}

/**
 * `djc coordinator`: the long-running daemon and its HTTP API. While another
 * coordinator leads the backend it stands by (says so; serves only its TCP
 * listener, whose /readyz answers 503 role "standby") and takes over when the
 * leader's lock expires, at once if the leader died on this host. The unix
 * socket in the home is served only while it leads. SIGINT/SIGTERM stop it
 * and release the lock at once. While it leads it logs its health
 * (health/daemon-health.ts).
 */
export async function coordinatorCommand(cli: Cli, o: CapacityFlags & ApiFlags & HealthFlags = {}): Promise<number> {
  // Bad settings are a usage error before anything starts.
  const settings = await daemonSettingsOf(o);
  const capacity = localCapacity(settings);
  // A daemon runs for weeks: its RSS must not climb with the jobs it has seen (health/young-generation.ts).
  keepHeapSmall();
  return withBackend(cli, async (backend) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    // A daemon's log is for operators and log shippers: JSON lines (stack traces with --verbose).
    const log = createLogger({ name: 'djc-coordinator', level: cli.opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'warn', stacks: cli.opts.verbose === true });
    // /metrics: capacity figures from the scheduler's latest tick.
    let snapshot: SchedulerSnapshot | null = null;
    const metrics = createMetrics({ backend, scheduler: () => snapshot });
    // The HTTP API (docs/api.md); bad --listen/--tls-* flags are usage errors before the daemon starts.
    // TCP requests carry tokens (djc token), checked by the authorizer; the unix socket is trusted.
    const serve = { backend, log, home: cli.home, authorizer: createAuthorizer(backend), metrics };
    const tcp = o.listen === undefined ? null : await serveApi({ ...serve, socketPath: null, listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, insecureHttp: o.insecureHttp });
    let unix: RunningApi | null = null;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const where = `backend ${backend.name} (${cli.home})`;
    // Job state changes and the summary are info lines, shown unless DJC_LOG_LEVEL asks for fewer.
    const healthLog = log.child({ component: 'health' }, { level: cli.opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'info' });
    let stopHealth: (() => Promise<void>) | null = null;
    const daemonCli = { ...cli, log };
    // Idle local workers for the next jobs' first tasks, kept while this daemon leads (dispatch/warm-pool.ts).
    const warm = warmPoolFor(daemonCli, backend, settings.warm_workers);
    try {
      await runDaemon(backend, {
        dispatcher: dispatcherFor(daemonCli, backend, capacity, warm), log, signal: stop.signal,
        wakeups: (wake) => watchSubmits(cli.home, wake, log),
        pools: poolsOf(capacity, settings), settings: schedulerSettingsOf(settings), ownerLabel: settings.fair_share.owner_label,
        lockTtlMs: settings.lock.ttl, lockRenewMs: settings.lock.renew,
        onTick: (tick) => { snapshot = tick.snapshot; },
        onStandby: (holder) => {
          cli.err(standbyLine(where, holder));
          if (tcp) cli.err(`djc: standby API at ${tcp.urls.join(' and ')} (/readyz answers 503 until this one leads)`);
        },
        onLead: async (term) => {
          unix = await serveApi({ ...serve, socketPath: o.socket ?? join(cli.home, API_SOCKET), leading: true });
          cli.err(`djc: coordinator running for ${where}, leading (epoch ${term.epoch}${tookOver(term)}); ${describeCapacity(capacity)}; Ctrl-C stops it`);
          cli.err(`djc: API at ${[...unix.urls, ...(tcp?.urls ?? [])].join(' and ')}`);
          for (const note of capacity.notes) cli.err(`djc: note: ${note}`);
          warm.start();
          stopHealth ??= startDaemonHealth(backend, { log: healthLog, summaryEveryMs: o.summaryEvery ?? 60_000 });
        },
        onStepDown: async (term) => {
          await warm.stop();
          await stopHealth?.();
          stopHealth = null;
          await unix?.close();
          unix = null;
          const lost = term.lostReason();
          if (lost !== null) cli.err(`djc: lost the coordinator lock (${lost}); stopped coordinating, standing by`);
        },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await warm.stop();
      await (stopHealth as (() => Promise<void>) | null)?.();
      await (unix as RunningApi | null)?.close();
      await tcp?.close();
    }
    return 0;
  }, { create: true });
}

function standbyLine(where: string, holder: CoordinatorInfo): string {
  const left = Math.max(0, Math.ceil((holder.expiresAt - Date.now()) / 1000));
  return `djc: standby for ${where}: pid ${holder.pid} on ${holder.host} leads it (epoch ${holder.epoch}); `
    + `taking over when its lock expires (in ${left}s unless renewed), at once if it dies on this host; Ctrl-C stops`;
}

function tookOver(term: Term): string {
  const p = term.previous;
  if (p === null || term.how === 'free') return '';
  return `, took over from pid ${p.pid} on ${p.host}: ${term.how === 'dead holder' ? 'it died' : term.how === 'released' ? 'it stopped' : 'its lock expired'}`;
}

export async function workerCommand(cli: Cli, o: { job?: string; concurrency?: number; workerId?: string; grace: number }): Promise<number> {
  return workerProcessMain({
    backend: cli.opts.backend,
    home: cli.opts.home,
    verbose: cli.opts.verbose,
    jobId: o.job,
    workerId: o.workerId,
    concurrency: o.concurrency,
    graceMs: o.grace,
  });
}
