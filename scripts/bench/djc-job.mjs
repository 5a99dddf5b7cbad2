/**
 * Runs one `djc run JOB --json` end to end in a fresh DJC_HOME and splits its
 * wall time into phases that add up to it: startup (until prepare begins),
 * until the first attempt starts, attempts, finalize, exit. Prepare overlaps
 * the attempts (workers start while tasks are still being written), so it is
 * given apart. Sources: the run's status document (startedAt = prepare
 * began, endedAt), the coordinator's "job prepared" log line
 * (DJC_LOG_LEVEL=info) and `djc tasks --json` (first attempt start, last
 * attempt end). All timestamps come from this machine's clock.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DJC_BIN, run } from './lib.mjs';

/**
 * Writes a job file; `handler` is the YAML mapping of the handler. `cpus`:
 * compute.resources.cpus per worker (default 1: on a 2-core machine the
 * scheduler runs 2 workers at once; sleeps need no CPU, so say 0.5 or less).
 */
export async function writeJob(dir, file, { name, input, records, handler, workers, cpus, format = 'jsonl' }) {
  const yaml = [
    `name: ${name}`,
    'input:',
    `  path: ${input}`,
    `  format: ${format}`,
    `  batch: { records: ${records} }`,
    'handler:',
    ...handler.map((l) => `  ${l}`),
    'compute:',
    `  workers: ${workers}`,
    ...(cpus === undefined ? [] : [`  resources: { cpus: ${cpus} }`]),
    'output:',
    `  path: out-${name}.jsonl`,
    '',
  ].join('\n');
  const path = join(dir, file);
  await writeFile(path, yaml);
  return path;
}

const ms = (iso) => Date.parse(iso);

/**
 * Runs the job (`extraEnv`: more environment, e.g. DJC_SQLITE_DRIVER;
 * `onSpawn(child)`: called with the `djc run` process, or GNU time around
 * it); returns wall ms, CPU ms, the job document, its tasks (`djc tasks
 * --json`) and the phases in ms.
 */
export async function runJob(jobFile, home, sets = [], extraEnv = {}, onSpawn = undefined) {
  const env = { ...extraEnv, DJC_HOME: home, DJC_LOG_LEVEL: 'info' };
  const setArgs = sets.flatMap((s) => ['--set', s]);
  const t0 = Date.now();
  const r = await run(process.execPath, [DJC_BIN, 'run', jobFile, '--json', ...setArgs], { env, rss: true, onSpawn });
  const exitAt = t0 + r.ms;
  const doc = JSON.parse(r.stdout);
  if (doc.status !== 'SUCCEEDED') throw new Error(`job ${doc.jobId} ended ${doc.status}: ${doc.error}`);
  const prepared = r.stderr.split('\n').filter((l) => l.includes('"job prepared"')).map((l) => JSON.parse(l).time)[0];
  const tasksOut = await run(process.execPath, [DJC_BIN, 'tasks', doc.jobId, '--json'], { env });
  const tasks = JSON.parse(tasksOut.stdout).tasks;
  const firstStart = Math.min(...tasks.map((t) => ms(t.startedAt)));
  const lastEnd = Math.max(...tasks.map((t) => ms(t.endedAt)));
  return {
    wallMs: r.ms,
    /** User + sys of `djc run` and the workers it reaped (null without GNU time). */
    cpuMs: r.cpuMs,
    doc,
    tasks,
    phases: {
      startupMs: ms(doc.startedAt) - t0,
      prepareMs: prepared === undefined ? null : prepared - ms(doc.startedAt),
      toFirstTaskMs: firstStart - ms(doc.startedAt),
      tasksMs: lastEnd - firstStart,
      finalizeMs: ms(doc.endedAt) - lastEnd,
      exitMs: Math.round(exitAt - ms(doc.endedAt)),
    },
  };
}
