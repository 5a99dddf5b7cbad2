import { parseArgs } from 'node:util';
import { workerProcessMain } from './main.js';
import { warmWorkerMain } from './warm-main.js';

const USAGE = `usage: djc-worker [--job ID] [--backend local|aws] [--home DIR] [--concurrency N]
                  [--worker-id ID] [--grace SECONDS] [--idle-exit SECONDS] [--warm] [--verbose]
Pulls tasks from the queue of the configured backend (DJC_BACKEND, DJC_HOME) and
runs them. With --job it serves one job and exits when that job has no work left.
With --warm (started by a daemon's warm pool) it opens the backend and waits for
its job on stdin (one JSON line: {"jobId": ID, "env": {…}}); stdin closing ends it.`;

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`djc-worker: ${flag} expects a number, got "${v}"\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      job: { type: 'string' }, backend: { type: 'string' }, home: { type: 'string' },
      concurrency: { type: 'string' }, 'worker-id': { type: 'string' }, grace: { type: 'string' },
      'idle-exit': { type: 'string' }, warm: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (e) {
  process.stderr.write(`djc-worker: ${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const grace = num(values.grace as string | undefined, '--grace');
const idle = num(values['idle-exit'] as string | undefined, '--idle-exit');
const code = await (values.warm === true ? warmWorkerMain : workerProcessMain)({
  jobId: values.job as string | undefined,
  backend: values.backend as string | undefined,
  home: values.home as string | undefined,
  workerId: values['worker-id'] as string | undefined,
  concurrency: num(values.concurrency as string | undefined, '--concurrency'),
  graceMs: grace === undefined ? undefined : grace * 1000,
  idleExitMs: idle === undefined ? undefined : idle * 1000,
  verbose: values.verbose === true,
});
process.exit(code);
