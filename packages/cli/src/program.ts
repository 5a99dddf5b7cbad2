import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Cli, GlobalOptions } from './context.js';
import { addExamples } from './command-examples.js';
import { durationOption, intOption } from './numeric-option.js';
import type { RetryCommandOptions } from './commands/act.js';
import type { ApiFlags, HealthFlags } from './commands/daemons.js';
import type { CapacityFlags } from './daemon-settings-flags.js';

// Each command's module (and what it needs: the job schema, the backends, the
// coordinator, the worker) is loaded when that command runs, not at start:
// `djc --version` or `djc status` never pays for the rest.
const act$ = () => import('./commands/act.js');
const daemons$ = () => import('./commands/daemons.js');
const read$ = () => import('./commands/read.js');

const collect = (v: string, prev: string[] = []) => [...prev, v];

const EXIT_CODES = `
Exit codes: 0 ok · 1 the job ended FAILED, CANCELLED or TIMEOUT (run, wait, retry) · 2 usage or config error ·
3 backend unreachable · 4 no such job or task · 70 internal error (a bug) · 124 wait --timeout ran out ·
130 interrupted.
Home (local state): --home, else DJC_HOME, else the nearest .djc in this directory or above, else ~/.local/state/djc.
Remote: with DJC_URL (https://HOST:PORT or unix:/path/api.sock) and DJC_TOKEN, submit, status, list, tasks, logs, wait, cancel, retry,
results, failures, queue, pause, resume and priority ask that coordinator's HTTP API instead of opening a backend.
A JOB is an id, a unique prefix of one, a job name (its newest run), or "last". Docs: docs/cli.md`;

/** The version of this package (packages/cli/package.json), read once at start. */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The `djc` command. Each action sets `result.code`; only bin.ts exits.
 */
export function buildProgram(result: { code: number; opts: GlobalOptions }): Command {
  const program = new Command('djc')
    .description('djc — split a job into batches, run a handler on each on many workers, gather the results')
    .version(cliVersion())
    .addOption(new Option('--backend <name>', 'state backend: local | aws (env DJC_BACKEND)'))
    .addOption(new Option('--home <dir>', 'local state directory (env DJC_HOME; default: the nearest .djc upward, else ~/.local/state/djc)'))
    .addOption(new Option('--table <name>', 'aws backend: DynamoDB table (env DJC_TABLE, default djc)'))
    .addOption(new Option('--bucket <name>', 'aws backend: S3 bucket (env DJC_BUCKET)'))
    .addOption(new Option('--queue <name>', 'aws backend: SQS queue (env DJC_QUEUE, default djc-tasks; DLQ <queue>-dlq)'))
    .option('--json', 'machine-readable output on stdout (errors as JSON on stderr)')
    .option('-v, --verbose', 'debug logs and stack traces')
    .addHelpText('after', EXIT_CODES)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  const job = 'JOB: id, unique id prefix, job name (its newest run) or "last"';
  const newest = `${job}; default: the newest job`;

  const act = <A extends unknown[]>(fn: (cli: Cli, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      result.opts = opts;
      const { makeCli } = await import('./context.js');
      result.code = await fn(makeCli(opts), ...(args.slice(0, -1) as A));
    };
  const setOpt = new Option('--set <key=value>', 'override a parameter (params.x=1) or any key (compute.workers=8); repeatable').argParser(collect);
  const keepGoing = new Option('--keep-going', 'run every task even once the job can no longer succeed (same as --set fail_fast=false)');
  const withKeepGoing = (o: { set?: string[]; keepGoing?: boolean }) => ({ set: [...(o.set ?? []), ...(o.keepGoing ? ['fail_fast=false'] : [])] });

  program.command('run').argument('<file.yaml>').description('run a job or a pipeline here: submit, start local workers, show progress, wait; exit 0 if it succeeds')
    .addOption(setOpt).addOption(keepGoing)
    .option('--fresh', 'pipelines: run every stage, re-using nothing from the cache (the runs that succeed are still cached)')
    .option('--priority <p>', 'low | normal | high | urgent, or an integer (overrides the file\'s priority)')
    .action(act((cli, file: string, o: { set?: string[]; keepGoing?: boolean; fresh?: boolean; priority?: string }) => import('./commands/run.js').then((m) => m.runCommand(cli, file, { ...withKeepGoing(o), fresh: o.fresh, priority: o.priority }))));
  program.command('submit').argument('<file.yaml>').description('submit a job or a pipeline to the coordinator daemon and print its id at once')
    .addOption(setOpt).addOption(keepGoing)
    .option('--after <jobs>', 'wait until these jobs (comma-separated JOB refs) succeed; SKIPPED at once if one fails, is cancelled or skipped')
    .option('--after-any', 'with --after: run once they have ended, however they ended')
    .option('--fresh', 'pipelines: run every stage, re-using nothing from the cache (stored with the pipeline: the daemon honours it)')
    .option('--priority <p>', 'low | normal | high | urgent, or an integer (overrides the file\'s priority; change it later with djc priority)')
    .action(act((cli, file: string, o: { set?: string[]; keepGoing?: boolean; after?: string; afterAny?: boolean; fresh?: boolean; priority?: string }) => import('./commands/submit.js').then((m) => m.submitCommand(cli, file, { ...withKeepGoing(o), after: o.after, afterAny: o.afterAny, fresh: o.fresh, priority: o.priority }))));
  program.command('validate').argument('<file.yaml>').description('check a job or pipeline file; print every problem with its YAML path, line and column')
    .addOption(setOpt).action(act((cli, file: string, o: { set?: string[] }) => import('./commands/validate.js').then((m) => m.validateCommand(cli, file, o))));
  program.command('plan').argument('<pipeline.yaml>')
    .description('what running the pipeline would do, before anything runs: per stage, re-use an earlier run or run (and why), its batches, the sweep points')
    .addOption(setOpt).option('--fresh', 'plan as `djc run --fresh` would: ignore the cache')
    .action(act((cli, file: string, o: { set?: string[]; fresh?: boolean }) => import('./commands/plan.js').then((m) => m.planCommand(cli, file, o))));
  program.command('status').argument('[job]', newest).description('a job\'s status, task and record counts')
    .option('--watch', 'show the live progress bar until the job ends, then the outcome; exit as wait does')
    .option('--why', 'also say why the unfinished tasks are not running now, grouped by reason (JSON: a "why" key)')
    .action(act((cli, id: string | undefined, o: { watch?: boolean; why?: boolean }) => read$().then((m) => m.statusCommand(cli, id, o))));
  program.command('queue').description('the scheduler\'s queue: each job\'s position, priority, owner, resources, workers and why it waits; per class the queue length and waits')
    .action(act((cli) => import('./commands/queue.js').then((m) => m.queueCommand(cli))));
  program.command('list').description('jobs, newest first').option('--status <status>', 'only jobs with this status')
    .addOption(intOption('--limit <n>', 'at most n jobs', { min: 1, default: 50 })).option('-q, --quiet', 'only the job ids, one per line')
    .action(act((cli, o: { status?: string; limit: number; quiet?: boolean }) => read$().then((m) => m.listCommand(cli, o))));
  program.command('tasks').argument('[job]', newest).description('a job\'s tasks: status, attempts, records, duration, CPU, memory, worker, exit code, error')
    .option('--status <status>', 'only tasks with this status (pending, claimed, running, retrying, succeeded, failed, cancelled)')
    .addOption(intOption('--limit <n>', 'at most n tasks', { min: 1 }))
    .option('--why', 'for each unfinished task, why it is not running now: backoff until a time, a lease held by a worker, waiting in a worker, Slurm pending reason, the job\'s queue reason (at most 1000 unless --limit)')
    .action(act((cli, id: string | undefined, o: { status?: string; limit?: number; why?: boolean }) => read$().then((m) => m.tasksCommand(cli, id, o))));
  program.command('report').argument('[job]', newest).description('write the run report: one self-contained HTML file (summary, timeline, duration and queue-wait histograms, slowest tasks, failures, CPU and memory per attempt)')
    .option('-o, --output <file>', 'where to write it (default ./djc-report-JOB.html; - for stdout)')
    .addOption(intOption('--max-tasks <n>', 'read at most n tasks per job for the figures (default 50000; the counts are always exact)', { min: 1 }))
    .action(act((cli, id: string | undefined, o: { output?: string; maxTasks?: number }) => import('./commands/report.js').then((m) => m.reportCommand(cli, id, o))));
  program.command('logs').argument('[job]', newest).description('logs of every attempt of a task (--task N), of every task (each line prefixed with its id), or of the worker processes (--workers)')
    .addOption(intOption('--task <n>', 'task id')).option('--workers', 'worker process logs')
    .option('-f, --follow', 'keep printing new log text as attempts write it, until the task (or job) ends; Ctrl-C stops')
    .action(act((cli, id: string | undefined, o: { task?: number; workers?: boolean; follow?: boolean }) => import('./commands/logs.js').then((m) => m.logsCommand(cli, id, o))));
  program.command('wait').argument('[job]', newest).description('wait until the job ends; exit 0 if it succeeded, 1 if it failed, was cancelled or timed out')
    .addOption(durationOption('--interval <duration>', 'poll interval (seconds, or 500ms, 2s, 1m)', { min: 100, max: 3_600_000, default: 1000 }))
    .addOption(durationOption('--timeout <duration>', 'give up after this long (30s, 5m, 1h; 0: never): exit 124, the job goes on', { min: 0 }))
    .addOption(durationOption('--orphan-grace <duration>', 'a job nobody coordinates (its djc run died, no daemon runs): say so, and give up after this long with exit 3 (0: never)', { min: 0, default: 60_000 }))
    .action(act((cli, id: string | undefined, o: { interval: number; timeout?: number; orphanGrace?: number }) => read$().then((m) => m.waitCommand(cli, id, o))));
  program.command('cancel').argument('<job>', job).description('cancel a job: stop its workers and tasks')
    .action(act((cli, id: string) => act$().then((m) => m.cancelCommand(cli, id))));
  program.command('pause').argument('<job>', job).description('pause a job: no new attempt starts, running ones finish, its workers are released (a pipeline: its running stage runs)')
    .action(act((cli, id: string) => import('./commands/pause.js').then((m) => m.pauseCommand(cli, id))));
  program.command('resume').argument('<job>', job).description('resume a paused job: it is queued again and gets workers')
    .action(act((cli, id: string) => import('./commands/pause.js').then((m) => m.resumeCommand(cli, id))));
  program.command('retry').argument('<job>', job)
    .description('re-run the failed and cancelled tasks of a finished job with the config it was submitted with (patched by --set), then aggregate again')
    .option('--detach', 'leave the re-run to the coordinator daemon')
    .addOption(new Option('--set <key=value>', 'change a setting for the re-run (compute.*, retry.*, tolerated_failure, fail_fast, output.*, notification.*); repeatable').argParser(collect))
    .option('--task <ids>', 'only these tasks: ids and ranges, e.g. 3,7-9')
    .option('--error <regex>', 'only tasks whose last error matches this regular expression')
    .addOption(new Option('--keep-going', 'the re-run runs every task even once it can no longer succeed (--set fail_fast=false)'))
    .action(act((cli, id: string, o: RetryCommandOptions) => act$().then((m) => m.retryCommand(cli, id, o))));
  program.command('failures').argument('[job]', newest).description('the failed tasks grouped by error (numbers, paths and ids ignored), largest group first, with the last log line of each')
    .action(act((cli, id: string | undefined) => import('./commands/failures.js').then((m) => m.failuresCommand(cli, id))));
  program.command('results').argument('[job]', newest).description('print the job\'s result, or one task\'s output (--task N), or its bad records (--bad-records); --path: only where it is')
    .option('--path', 'print the result\'s location').addOption(intOption('--task <n>', 'the output of this task (batch) alone, e.g. for output.aggregate: none'))
    .option('--bad-records', 'print the records left out as bad (input.on_bad_record: dead_letter), one JSON line each')
    .option('--stage <name>', 'of a pipeline: the result of this stage (with --task: of one of its tasks)')
    .action(act((cli, id: string | undefined, o: { path?: boolean; task?: number; badRecords?: boolean; stage?: string }) => import('./commands/results.js').then((m) => m.resultsCommand(cli, id, o))));
  program.command('coordinator').description('run the coordinator daemon: schedules submitted jobs onto its capacity and watches them')
    .option('--config <file>', 'daemon settings (YAML): capacity, pools, max_jobs, quotas, fair_share, aging, preempt (docs/scheduling.md)')
    .option('--cpus <n>', 'CPUs of the local pool (default: this machine\'s)').option('--memory <size>', 'memory of the local pool, e.g. 64GiB (default: this machine\'s)')
    .option('--gpus <ids>', 'GPU ids of the local pool, e.g. 0,1 (none: no GPUs)')
    .option('--preempt <p>', 'off (default), or the priority (urgent, high, … or an integer) at or above which a job takes workers back from lower ones')
    .option('--listen <host:port>', 'also serve the HTTP API on TCP, e.g. 127.0.0.1:7420 (bearer tokens; docs/api.md); the unix socket in the home is always served')
    .option('--socket <path>', 'the API\'s unix socket (default: api.sock in the home, mode 0600)')
    .option('--tls-cert <file>', 'with --listen: serve HTTPS with this PEM certificate (and --tls-key)').option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--insecure-http', 'with --listen on a non-loopback address: allow plain HTTP (a proxy in front terminates TLS)')
    .option('--lock-ttl <duration>', 'failover: a standby takes over when the leader has not renewed its lock for this long (default 15s; settings: lock.ttl)')
    .option('--lock-renew <duration>', 'how often the leader renews its lock, at most TTL/2 (default 3s; settings: lock.renew)')
    .addOption(durationOption('--summary-every <duration>', 'log a health summary line this often while leading (jobs by status, workers, RSS, event-loop lag); 0: never', { min: 0, default: 60_000 }))
    .action(act((cli, o: CapacityFlags & ApiFlags & HealthFlags) => daemons$().then((m) => m.coordinatorCommand(cli, o))));
  program.command('prune').description('remove jobs that ended long ago from the local home: their rows, tasks, outputs, logs and worker logs (never a job that has not ended)')
    .addOption(durationOption('--older-than <duration>', 'jobs that ended more than this long ago (30d, 12h, 90m)', { min: 0, max: 3650 * 86_400_000 }))
    .option('--status <status...>', 'only jobs that ended with these statuses (succeeded, failed, cancelled, timeout, skipped)')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .action(act((cli, o: { olderThan?: number; status?: string[]; dryRun?: boolean }) => import('./commands/prune.js').then((m) => m.pruneCommand(cli, o))));
  program.command('priority').argument('<job>', job).argument('<priority>', 'low | normal | high | urgent, or an integer')
    .description('change a job\'s (or a pipeline\'s) priority; the daemon orders by it from its next tick')
    .action(act((cli, id: string, p: string) => import('./commands/priority.js').then((m) => m.priorityCommand(cli, id, p))));
  program.command('worker').description('run a worker: pull tasks and run them (same as djc-worker)')
    .option('--job <id>', 'serve one job and exit when it has no work left').addOption(intOption('--concurrency <n>', 'tasks at once', { min: 1, max: 10_000 }))
    .option('--worker-id <id>', 'worker id')
    .addOption(durationOption('--grace <duration>', 'on SIGTERM, time to finish running attempts (seconds, or 90s, 5m)', { default: 30_000 }))
    .action(act((cli, o: { job?: string; concurrency?: number; workerId?: string; grace: number }) => daemons$().then((m) => m.workerCommand(cli, o))));
  program.command('setup').argument('<backend>', 'aws').description('create what the backend needs, if missing (idempotent): DynamoDB table, S3 bucket, SQS queue and DLQ')
    .action(act((cli, which: string) => import('./commands/setup.js').then((m) => m.setupCommand(cli, which))));
  const token = program.command('token').description('API tokens for the HTTP API over TCP: create, list, revoke (only a hash of each is stored)');
  const token$ = () => import('./commands/token.js');
  token.command('create').description('create a token and print it once on stdout (store it: djc keeps only its sha256)')
    .option('--scope <scope>', 'read (GET routes) | submit (also submit, cancel, retry, pause, resume, priority) | admin (also tokens and the daemon)')
    .option('--name <name>', 'a unique name among live tokens; it becomes the owner of jobs submitted with the token (default: token-<id>)')
    .addOption(durationOption('--expires <duration>', 'expire after this long, e.g. 30d, 12h (default: never)', { min: 60_000, max: 3650 * 86_400_000 }))
    .action(act((cli, o: { scope?: string; name?: string; expires?: number }) => token$().then((m) => m.tokenCreateCommand(cli, o))));
  token.command('list').description('every token: id, name, scope, state (active, expired, revoked), created, expires, last used; never the token')
    .action(act((cli) => token$().then((m) => m.tokenListCommand(cli))));
  token.command('revoke').argument('<token>', 'the token\'s NAME (a live one) or ID').description('revoke a token: every request with it is refused (401) from now on')
    .action(act((cli, ref: string) => token$().then((m) => m.tokenRevokeCommand(cli, ref))));
  program.command('completion').argument('<shell>', 'bash | zsh').description('print a shell completion script: source <(djc completion bash)')
    .action(act((cli, shell: string) => import('./commands/completion.js').then((m) => m.completionCommand(cli, program, shell))));
  addExamples(program);
  return program;
}
