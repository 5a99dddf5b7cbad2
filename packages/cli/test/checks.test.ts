/**
 * Mistakes caught before any task runs (issue 9 §4), through the CLI:
 * `djc validate` (and `run`, `submit`, which validate first) load the
 * handler and the reducer, look up a command's program, and refuse inputs,
 * outputs and settings that can never work, with exit 2 and a message that
 * names the file, the YAML path and the fix. What only reading the input
 * finds (a stray CSV quote) makes `djc run` exit 2 too. A `djc run` blocked
 * in a read still stops on SIGTERM.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DJC, djcStart, expectCliReachableByOthers, sandboxPerTest, waitFor, type CliResult } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(box.dir, name, '..'), { recursive: true });
    writeFileSync(join(box.dir, name), text);
  }
}

const COUNT = 'export const count = (records) => records.length;\n'
  + 'export async function merge(outputs) { let n = 0; for await (const o of outputs) n += Number(o); return { total: n }; }\n';

/** A job over in.jsonl (3 records), with `extra` YAML lines. */
function job(handler: string, ...extra: string[]): void {
  write({
    'in.jsonl': '{"a":1}\n{"a":2}\n{"a":3}\n',
    'count.mjs': COUNT,
    'job.yaml': ['name: checks', 'input: { path: in.jsonl, batch: { records: 1 } }', `handler: ${handler}`, ...extra, ''].join('\n'),
  });
}

async function noJobs(): Promise<void> {
  const list = await run(['list', '--json']);
  expect((JSON.parse(list.stdout || '{"jobs":[]}') as { jobs: unknown[] }).jobs).toEqual([]);
}

describe('the handler and the reducer are loaded before any task runs', () => {
  it('a typo in output.reduce: validate and run exit 2 with the YAML path, the file and the exports that exist; no job is created', async () => {
    job('{ module: ./count.mjs#count }', 'output: { path: out.json, reduce: ./count.mjs#mrege }');
    const v = await run(['validate', 'job.yaml']);
    expect(v.code).toBe(2);
    expect(v.stdout).toBe('');
    expect(v.stderr).toContain('job.yaml:4:35: output.reduce: ./count.mjs has no exported function "mrege" (did you mean "merge"?); exported functions: count, merge');
    const r = await run(['run', 'job.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('output.reduce: ./count.mjs has no exported function "mrege" (did you mean "merge"?)');
    expect(r.stderr).toContain('"djc validate job.yaml" checks the file without running anything');
    const s = await run(['submit', 'job.yaml']);
    expect(s.code).toBe(2);
    await noJobs();
    // Fixed, the same job runs and the reducer folds the outputs.
    writeFileSync(join(box.dir, 'job.yaml'), readFileSync(join(box.dir, 'job.yaml'), 'utf8').replace('#mrege', '#merge'));
    const ok = await run(['run', 'job.yaml']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(box.dir, 'out.json'), 'utf8'))).toEqual({ total: 3 });
  });

  it('a TypeScript handler that does not compile, and one whose top level never finishes (a warning, with a timeout)', async () => {
    job('{ module: ./bad.ts#count }');
    write({ 'bad.ts': 'export const count = (records: unknown[] => records.length;\n' });
    const v = await run(['validate', 'job.yaml', '--json']);
    expect(v.code).toBe(2);
    const doc = JSON.parse(v.stdout) as { valid: boolean; issues: Array<{ path: string; line: number; message: string }> };
    expect(doc.valid).toBe(false);
    expect(doc.issues).toEqual([{ file: join(box.dir, 'job.yaml'), path: 'handler.module', line: 3, col: 20, message: expect.stringMatching(/^\.\/bad\.ts cannot be loaded: .*bad\.ts:1:\d+: ERROR: /) }]);
    write({ 'hang.mjs': 'console.log("top-level output stays out of stdout");\nawait new Promise(() => setInterval(() => {}, 1000));\nexport const count = () => 1;\n' });
    const hang = await runWith(['validate', 'job.yaml', '--set', 'handler.module=./hang.mjs#count'], { DJC_MODULE_CHECK_TIMEOUT: '3s' });
    expect(hang.code).toBe(0);
    expect(hang.stdout).toBe('job.yaml: valid (job "checks", jsonl input, module handler, 4 workers)\n');
    expect(hang.stderr).toMatch(/^warning: job\.yaml: handler\.module: \.\/hang\.mjs: loading it took longer than 3s, so its exports were not checked .*\(from --set handler\.module=\.\/hang\.mjs#count\)$/m);
  });

  it('djc run remembers a module it checked: a re-run loads it only in the workers, an edited module is checked again', async () => {
    // Each load of the module appends where it ran: the check's own process (a main thread) or a worker's handler thread.
    const loads = join(box.dir, 'loads.txt');
    const counted = (body: string) => `import { appendFileSync } from 'node:fs';\nimport { isMainThread } from 'node:worker_threads';\n`
      + `appendFileSync(${JSON.stringify(loads)}, isMainThread ? 'check\\n' : 'worker\\n');\n${body}`;
    job('{ module: ./h.mjs#count }', 'compute: { workers: 1 }');
    write({ 'h.mjs': counted(COUNT) });
    // Written "before" the check: a file changed while it is checked is never remembered.
    utimesSync(join(box.dir, 'h.mjs'), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    // The home exists (as after any earlier djc command): a check never creates one just to remember a module.
    mkdirSync(box.home, { recursive: true });
    const checks = () => readFileSync(loads, 'utf8').split('\n').filter((l) => l === 'check').length;
    for (const expected of [1, 1]) {
      const r = await run(['run', 'job.yaml']);
      expect(r.code, r.stderr).toBe(0);
      expect(checks()).toBe(expected);
    }
    expect(readFileSync(loads, 'utf8')).toContain('worker');
    // Edited: the new export is looked for again, and a typo is still caught.
    write({ 'h.mjs': counted('export const tally = (records) => records.length;\n') });
    const typo = await run(['run', 'job.yaml']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('./h.mjs has no exported function "count"');
    expect(checks()).toBe(2);
  });

  it('a command program not on PATH: an error for local workers, a warning for Slurm workers', async () => {
    job('{ command: "pyhton3 score.py" }');
    const local = await run(['validate', 'job.yaml']);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('job.yaml:3:21: handler.command: "pyhton3" is not a program on PATH: install it, fix its name, or give its path');
    const slurm = await run(['validate', 'job.yaml', '--set', 'compute.dispatcher=slurm']);
    expect(slurm.code).toBe(0);
    expect(slurm.stderr).toContain('warning: job.yaml:3:21: handler.command: "pyhton3" is not a program on PATH');
    expect(slurm.stderr).toContain('with dispatcher slurm it must exist on the machines the workers run on');
  });
});

/** `djc` with extra environment variables. */
function runWith(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = djcStart(args, { cwd: box.dir, home: box.home, env });
    void p.done.then(resolve);
  });
}

describe('inputs, outputs and settings that can never work', () => {
  it('a directory as input.path without format: files: validate and run exit 2 with the hint', async () => {
    job('{ command: cat }');
    mkdirSync(join(box.dir, 'parts'));
    writeFileSync(join(box.dir, 'parts/a.jsonl'), '{"a":1}\n');
    for (const cmd of ['validate', 'run']) {
      const r = await run([cmd, 'job.yaml', '--set', 'input.path=parts']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('input.path: input parts is a directory: did you mean format: files (each file under it is a record)?');
    }
    const files = await run(['run', 'job.yaml', '--set', 'input.path=parts', '--set', 'input.format=files', '--set', 'input.batch={"files":1}', '--json']);
    expect(files.code, files.stderr).toBe(0);
  });

  it('a FIFO as input: validate exits 2 at once, naming it', async () => {
    job('{ command: cat }');
    execFileSync('mkfifo', [join(box.dir, 'pipe.jsonl')]);
    const r = await run(['validate', 'job.yaml', '--set', 'input.path=pipe.jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('input pipe.jsonl is a FIFO (named pipe), not a regular file');
    const s = await run(['run', 'job.yaml', '--set', 'input.path=pipe.jsonl']);
    expect(s.code).toBe(2);
    await noJobs();
  });

  it('an unreadable input: exit 2, permission denied (run as an unprivileged user when the tests run as root)', async () => {
    job('{ command: cat }');
    chmodSync(join(box.dir, 'in.jsonl'), 0o000);
    const r = await asUnprivileged(['validate', 'job.yaml']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`input.path: input in.jsonl cannot be read: permission denied (${join(box.dir, 'in.jsonl')})`);
  });

  it('an output path that is a directory: exit 2 before the job runs', async () => {
    job('{ command: cat }', 'output: { path: out }');
    mkdirSync(join(box.dir, 'out'));
    const r = await run(['run', 'job.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('job.yaml:4:17: output.path: out is a directory: name the result file, e.g. out/result.jsonl');
    await noJobs();
  });

  it('a lease or timeout of 0 and a backoff of 1e20 s: exit 2 naming the bounds', async () => {
    job('{ command: cat }', 'compute: { lease: 0, timeout: 0s }', 'retry: { backoff: { initial: 100000000000000000000 } }');
    const r = await run(['validate', 'job.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').slice(0, 3)).toEqual([
      'job.yaml:4:19: compute.lease: expected a duration of at least 1s and at most 12h, found 0',
      'job.yaml:4:31: compute.timeout: expected a duration of at least 1s and at most 7d, found "0s"',
      'job.yaml:5:30: retry.backoff.initial: expected a duration of at most 1d, found 100000000000000000000',
    ]);
  });
});

describe('input errors found while splitting are config errors', () => {
  it('a stray quote in a CSV: djc run exits 2 naming the file, the offset and input.csv.relax_quotes', async () => {
    write({ 'in.csv': 'id,size\n1,5"10\n2,6\n' });
    job('{ command: cat }');
    const r = await run(['run', 'job.yaml', '--set', 'input.path=in.csv', '--set', 'input.format=csv', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'FAILED' });
    const err = JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as { error: { code: string; message: string; hint: string } };
    expect(err.error).toMatchObject({ code: 'INPUT_INVALID', message: `${join(box.dir, 'in.csv')}: unterminated quoted field: the quote at byte offset 11 is never closed` });
    expect(err.error.hint).toContain('set input.csv.relax_quotes: true to read such quotes as data');
  });
});

describe('a djc run blocked in a read stops on a signal', () => {
  it('SIGTERM while finalize waits on a reducer replaced by a FIFO: the job is cancelled and djc exits', async () => {
    // The handler swaps the reducer for a FIFO once validate has loaded it: loading it at finalize then blocks for good.
    job('{ command: "rm -f count.mjs && mkfifo count.mjs && cat" }', 'compute: { workers: 1 }', 'output: { path: out.json, reduce: ./count.mjs#merge }');
    const p = djcStart(['run', 'job.yaml'], { cwd: box.dir, home: box.home });
    await waitFor('the reducer to become a FIFO', async () => existsSync(join(box.dir, 'count.mjs')) && isFifo(join(box.dir, 'count.mjs')));
    await waitFor('the job to finalize', async () => (await jobStatus()) === 'FINALIZING');
    p.child.kill('SIGTERM');
    const done = await p.done;
    expect(done.stderr).toContain('interrupted; cancelling');
    expect(done.stderr).toContain('still stopping 10s after the cancel (blocked in a read?); exiting without waiting');
    expect(p.child.signalCode).toBe('SIGTERM');
    expect(await jobStatus()).toBe('CANCELLED');
  });
});

describe('a djc run blocked in prepare stops on a signal', () => {
  it('SIGINT while listing an s3:// input on an endpoint that never answers: cancelled, and djc exits by the signal', async () => {
    // An S3 endpoint that accepts connections and never answers: prepare waits in the SDK, which no signal reaches.
    const sockets = new Set<Socket>();
    const server = createServer((sock) => { sockets.add(sock); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      job('{ command: cat }', 'compute: { workers: 1 }');
      const p = djcStart(['run', 'job.yaml', '--set', 'input.path=s3://bucket/in.jsonl'], {
        cwd: box.dir, home: box.home,
        env: { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      });
      await waitFor('prepare to ask the endpoint', async () => sockets.size > 0 && (await jobStatus()) === 'PREPARING');
      p.child.kill('SIGINT');
      const done = await p.done;
      expect(done.stderr).toContain('interrupted; cancelling');
      expect(done.stderr).toContain('exiting without waiting');
      expect(p.child.signalCode).toBe('SIGINT');
      expect(await jobStatus()).toBe('CANCELLED');
    } finally {
      for (const sock of sockets) sock.destroy();
      server.close();
    }
  });
});

async function jobStatus(): Promise<string> {
  const list = await run(['list', '--json']);
  const jobs = (JSON.parse(list.stdout || '{"jobs":[]}') as { jobs: Array<{ status: string }> }).jobs;
  return jobs[0]?.status ?? '';
}

function isFifo(file: string): boolean {
  try {
    return execFileSync('stat', ['-c', '%F', file]).toString().includes('fifo');
  } catch {
    return false;
  }
}

/** `djc` as a user that file permissions apply to: nobody when the tests run as root, else this user. */
function asUnprivileged(args: string[]): Promise<CliResult> {
  const root = process.getuid?.() === 0;
  if (root) expectCliReachableByOthers();
  if (root) execFileSync('chmod', ['-R', 'a+rwX', box.dir]);
  if (root) chmodSync(join(box.dir, 'in.jsonl'), 0o000);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DJC, ...args], {
      cwd: box.dir, env: { ...process.env, DJC_HOME: box.home }, ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
