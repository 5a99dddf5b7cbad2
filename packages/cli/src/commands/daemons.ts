import { runDaemon } from '@djc/coordinator';
import { workerProcessMain } from '@djc/worker';
import { dispatcherFor, withBackend, type Cli } from '../context.js';

/** `djc coordinator`: the long-running daemon; SIGINT/SIGTERM stop it cleanly. */
export async function coordinatorCommand(cli: Cli): Promise<number> {
  return withBackend(cli, async (backend) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cli.err(`djc: coordinator running for backend ${backend.name} (${cli.home}); Ctrl-C stops it`);
    try {
      await runDaemon(backend, { dispatcher: dispatcherFor(cli, backend), log: cli.log, signal: stop.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  });
}

export async function workerCommand(cli: Cli, o: { job?: string; concurrency?: string; workerId?: string; grace?: string }): Promise<number> {
  return workerProcessMain({
    backend: cli.opts.backend,
    home: cli.opts.home,
    verbose: cli.opts.verbose,
    jobId: o.job,
    workerId: o.workerId,
    concurrency: o.concurrency ? Number(o.concurrency) : undefined,
    graceMs: o.grace ? Number(o.grace) * 1000 : undefined,
  });
}
