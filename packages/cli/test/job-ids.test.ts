/**
 * Job ids a person can type: nothing or `last` (the newest job), an exact
 * id, a job name (its newest run), a unique prefix of an id; an ambiguous
 * prefix is exit 2 with the candidates. The same for every command that
 * takes a job (docs/cli.md, "Naming a job").
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { djc, leakedProcesses, makeSandbox, type CliResult } from './helpers.js';
import { writeJob } from './home-helpers.js';

let box: ReturnType<typeof makeSandbox>;
const ids = { alpha1: '', alpha2: '', alphaX: '' };
const run = (args: string[]): Promise<CliResult> => djc(args, { cwd: box.dir, home: box.home });

async function runJob(file: string, tag: string): Promise<string> {
  const r = await run(['run', file, '--json', '--set', `params.tag=${tag}`]);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { jobId: string }).jobId;
}

/** The shortest prefix of `id` that starts no other id. */
function uniquePrefix(id: string, others: string[]): string {
  for (let n = 1; n <= id.length; n++) {
    const p = id.slice(0, n);
    if (!others.some((o) => o.startsWith(p))) return p;
  }
  return id;
}

// Three jobs, oldest first: two runs of "alpha", then one of "alpha-x",
// whose ids also start with "alpha-" (a name must win over such a prefix).
beforeAll(async () => {
  box = makeSandbox('djc-ids-');
  const alpha = writeJob(box.dir, 'alpha');
  ids.alpha1 = await runJob(alpha, 'one');
  ids.alpha2 = await runJob(alpha, 'two');
  ids.alphaX = await runJob(writeJob(box.dir, 'alpha-x'), 'three');
}, 120_000);

afterAll(async () => {
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

const jobIdOf = (r: CliResult) => (JSON.parse(r.stdout) as { jobId: string }).jobId;

describe('naming a job', () => {
  it('no id and "last" are the newest job; a name is its newest run; an exact id and a unique prefix are that job', async () => {
    expect(jobIdOf(await run(['status', '--json']))).toBe(ids.alphaX);
    expect(jobIdOf(await run(['status', 'last', '--json']))).toBe(ids.alphaX);
    expect(jobIdOf(await run(['status', 'alpha', '--json']))).toBe(ids.alpha2);
    expect(jobIdOf(await run(['status', 'alpha-x', '--json']))).toBe(ids.alphaX);
    expect(jobIdOf(await run(['status', ids.alpha1, '--json']))).toBe(ids.alpha1);
    const prefix = uniquePrefix(ids.alpha1, [ids.alpha2, ids.alphaX]);
    expect(prefix.length).toBeLessThan(ids.alpha1.length);
    expect(jobIdOf(await run(['status', prefix, '--json']))).toBe(ids.alpha1);
    const human = await run(['status', 'alpha']);
    expect(human.stdout.split('\n')[0]).toBe(`job      ${ids.alpha2} (alpha)`);
  });

  it('every command that takes a job resolves it the same way', async () => {
    const prefix1 = uniquePrefix(ids.alpha1, [ids.alpha2, ids.alphaX]);
    expect((await run(['results'])).stdout).toBe('three\n');
    expect((await run(['results', 'alpha'])).stdout).toBe('two\n');
    expect((await run(['results', prefix1])).stdout).toBe('one\n');
    expect(jobIdOf(await run(['wait', 'alpha', '--json']))).toBe(ids.alpha2);
    expect(jobIdOf(await run(['wait', '--json']))).toBe(ids.alphaX);
    expect(jobIdOf(await run(['logs', 'alpha', '--task', '0', '--json']))).toBe(ids.alpha2);
    expect(jobIdOf(await run(['logs', '--task', '0', '--json']))).toBe(ids.alphaX);
    const tasks = await run(['tasks', prefix1, '--json']);
    expect((JSON.parse(tasks.stdout) as { tasks: { status: string }[] }).tasks.map((t) => t.status)).toEqual(['SUCCEEDED']);
    // cancel of a finished job changes nothing and prints it; retry of a job without failures says which job.
    expect(await run(['cancel', 'last'])).toMatchObject({ code: 0, stdout: `${ids.alphaX} SUCCEEDED\n` });
    const retry = await run(['retry', 'alpha']);
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain(`job ${ids.alpha2} has no failed or cancelled tasks to retry`);
    // A name that is no job, and no job of that prefix: exit 4 for each command.
    for (const cmd of ['status', 'tasks', 'wait', 'results', 'cancel', 'retry']) {
      const r = await run([cmd, 'beta']);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 4 });
      expect(r.stderr).toContain(`no job beta in ${box.home}`);
    }
  });

  it('an ambiguous prefix is exit 2 and lists the candidates: id, name, status, created', async () => {
    const shared = ids.alpha1.slice(0, 'alpha-2'.length); // both "alpha" runs, not "alpha-x"
    for (const cmd of ['status', 'tasks', 'logs', 'wait', 'results', 'cancel', 'retry']) {
      const r = await run([cmd, shared]);
      expect({ cmd, code: r.code, stdout: r.stdout }).toEqual({ cmd, code: 2, stdout: '' });
      expect(r.stderr).toContain(`"${shared}" matches 2 jobs:`);
    }
    const human = await run(['status', shared]);
    const created = JSON.parse((await run(['list', '--json'])).stdout) as { jobs: { jobId: string; createdAt: string }[] };
    const createdOf = (id: string) => created.jobs.find((j) => j.jobId === id)?.createdAt;
    expect(human.stderr).toContain(`  ${ids.alpha2}  alpha  SUCCEEDED  ${createdOf(ids.alpha2)}\n  ${ids.alpha1}  alpha  SUCCEEDED  ${createdOf(ids.alpha1)}\n`);
    expect(human.stderr).not.toContain(ids.alphaX);
    expect(human.stderr).toContain('hint: type more of the id');
    const json = JSON.parse((await run(['status', shared, '--json'])).stderr) as { error: { code: string; details: { candidates: unknown[] } } };
    expect(json.error.code).toBe('USAGE');
    expect(json.error.details.candidates).toEqual([
      { jobId: ids.alpha2, name: 'alpha', status: 'SUCCEEDED', createdAt: createdOf(ids.alpha2) },
      { jobId: ids.alpha1, name: 'alpha', status: 'SUCCEEDED', createdAt: createdOf(ids.alpha1) },
    ]);
  });

  it('list -q prints the ids only, newest first; "no tasks" goes to stderr', async () => {
    expect((await run(['list', '-q'])).stdout).toBe(`${ids.alphaX}\n${ids.alpha2}\n${ids.alpha1}\n`);
    expect((await run(['list', '-q', '--limit', '1'])).stdout).toBe(`${ids.alphaX}\n`);
    const none = await run(['tasks', 'alpha', '--status', 'failed']);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toBe(`no failed tasks in ${ids.alpha2}\n`);
  });
});
