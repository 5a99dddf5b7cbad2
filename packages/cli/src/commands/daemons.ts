import { createLogger } from '@djc/core';
import { join } from 'node:path';
import { describeCapacity, localCapacity, poolsOf, runDaemon, schedulerSettingsOf, startDaemonHealth, type SchedulerSnapshot } from '@djc/coordinator';
import { createMetrics } from '@djc/coordinator/metrics';
import { API_SOCKET, createAuthorizer, serveApi } from '@djc/coordinator/service';
import { workerProcessMain } from '@djc/worker';
import { withBackend, type Cli } from '../context.js';
import { dispatcherFor } from '../dispatch-context.js';
import { daemonSettingsOf, type CapacityFlags } from '../scheduling-context.js';

/** `djc coordinator`'s HTTP API flags (docs/api.md). */
export interface ApiFlags {
  listen?: string;
  socket?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

/** `djc coordinator`: the long-running daemon and its HTTP API; SIGINT/SIGTERM stop it cleanly. */
/** `djc coordinator`'s own health log (docs/operations.md). */
export interface HealthFlags {
  /** Summary line period (ms); 0: none. */
  summaryEvery?: number;
}

export async function coordinatorCommand(cli: Cli, o: CapacityFlags & ApiFlags & HealthFlags = {}): Promise<number> {
  // Bad settings are a usage error before anything starts.
  const settings = await daemonSettingsOf(o);
  const capacity = localCapacity(settings);
  return withBackend(cli, async (backend) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    // A daemon's log is for operators and log shippers: JSON lines (stack traces with --verbose).
    const log = createLogger({ name: 'djc-coordinator', level: cli.opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'warn', stacks: cli.opts.verbose === true });
    // The HTTP API (docs/api.md); bad --listen/--tls-* flags are usage errors before the daemon starts.
    // TCP requests carry tokens (djc token), checked by the authorizer; the unix socket is trusted.
    // /metrics: capacity figures from the scheduler's latest tick.
    let snapshot: SchedulerSnapshot | null = null;
    const metrics = createMetrics({ backend, scheduler: () => snapshot });
    const api = await serveApi({
      backend, log, home: cli.home, socketPath: o.socket ?? join(cli.home, API_SOCKET), authorizer: createAuthorizer(backend), metrics,
      listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, insecureHttp: o.insecureHttp,
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cli.err(`djc: coordinator running for backend ${backend.name} (${cli.home}); ${describeCapacity(capacity)}; Ctrl-C stops it`);
    cli.err(`djc: API at ${api.urls.join(' and ')}`);
    for (const note of capacity.notes) cli.err(`djc: note: ${note}`);
    // Job state changes and the summary are info lines, shown unless DJC_LOG_LEVEL asks for fewer.
    const healthLog = log.child({ component: 'health' }, { level: cli.opts.verbose ? 'debug' : process.env.DJC_LOG_LEVEL ?? 'info' });
    const stopHealth = startDaemonHealth(backend, { log: healthLog, summaryEveryMs: o.summaryEvery ?? 60_000 });
    try {
      const daemonCli = { ...cli, log };
      await runDaemon(backend, {
        dispatcher: dispatcherFor(daemonCli, backend, capacity), log, signal: stop.signal,
        pools: poolsOf(capacity, settings), settings: schedulerSettingsOf(settings), ownerLabel: settings.fair_share.owner_label,
        onTick: (tick) => { snapshot = tick.snapshot; },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stopHealth();
      await api.close();
    }
    return 0;
  }, { create: true });
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
