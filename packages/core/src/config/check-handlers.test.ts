import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandProgram } from './command-check.js';
import { validateJobFile, type ValidationResult } from './load.js';

// What validate checks about what a job runs: the handler module and the
// reducer, loaded in a child process as a worker loads them; the program a
// command starts. Each test writes a job and its files to a temp dir.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-check-'));
  await writeFile(join(dir, 'in.jsonl'), '{"a":1}\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(handler: string, files: Record<string, string>, extra: string[] = [], env?: Record<string, string>): Promise<ValidationResult> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  await writeFile(join(dir, 'job.yaml'), ['name: t', 'input: { path: in.jsonl }', `handler: ${handler}`, ...extra, ''].join('\n'));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await validateJobFile(join(dir, 'job.yaml'), { checkHandlers: true });
  } finally {
    process.env = saved;
  }
}

/** [path, line, message] of each issue and warning. */
const brief = (r: ValidationResult) => ({
  issues: r.ok ? [] : r.issues.map((i) => [i.path, i.line, i.message]),
  warnings: r.warnings.map((i) => [i.path, i.line, i.message]),
});

const COUNT_TS = 'export async function count(records: unknown[]): Promise<number> { return records.length; }\n'
  + 'export async function merge(outputs: AsyncIterable<number>): Promise<number> { let n = 0; for await (const o of outputs) n += o; return n; }\n';

describe('handler.module and output.reduce', () => {
  it('accepts a TypeScript handler and reducer that export the named functions', async () => {
    const r = await check('{ module: ./count.ts#count }', { 'count.ts': COUNT_TS }, ['output: { reduce: ./count.ts#merge }']);
    expect(brief(r)).toEqual({ issues: [], warnings: [] });
    expect(r.ok).toBe(true);
  });

  it('a typo in output.reduce names the YAML path, the file, and the functions that do exist', async () => {
    const r = await check('{ module: ./count.ts#count }', { 'count.ts': COUNT_TS }, ['output: { reduce: ./count.ts#mrege }']);
    expect(brief(r).issues).toEqual([
      ['output.reduce', 4, './count.ts has no exported function "mrege" (did you mean "merge"?); exported functions: count, merge'],
    ]);
  });

  it('a file that does not compile, an export that is not a function, a default export', async () => {
    const r = await check('{ module: ./broken.ts#count }', { 'broken.ts': 'export const count = (x: number => x;\n' });
    expect(brief(r).issues).toEqual([['handler.module', 3, expect.stringMatching(/^\.\/broken\.ts cannot be loaded: .*broken\.ts:1:\d+: ERROR: /)]]);
    const notFn = await check('{ module: ./n.mjs#count }', { 'n.mjs': 'export const count = 42;\nexport function other() {}\n' });
    expect(brief(notFn).issues).toEqual([['handler.module', 3, './n.mjs exports "count" as a number, not a function; exported functions: other']]);
    const dflt = await check('{ module: ./d.mjs }', { 'd.mjs': 'export default async (records) => records;\n' });
    expect(dflt.ok).toBe(true);
  });

  it('a module that throws, exits or hangs at its top level is contained: error, error, warning', async () => {
    const throws = await check('{ module: ./t.mjs#f }', { 't.mjs': 'export const f = () => 1;\nthrow new RangeError("no config file");\n' });
    expect(brief(throws).issues).toEqual([['handler.module', 3, './t.mjs cannot be loaded: RangeError: no config file (at t.mjs:2:7)']]);
    const exits = await check('{ module: ./e.mjs#f }', { 'e.mjs': 'console.error("bye"); process.exit(3);\nexport const f = () => 1;\n' });
    expect(brief(exits).issues).toEqual([['handler.module', 3, './e.mjs: loading it ended the process (it exited with code 3): bye']]);
    const hangs = await check('{ module: ./h.mjs#f }', {
      'h.mjs': 'console.log("stdout stays out of djc\'s output");\nsetInterval(() => {}, 1000);\nawait new Promise(() => {});\nexport const f = () => 1;\n',
    }, [], { DJC_MODULE_CHECK_TIMEOUT: '3s' });
    expect(hangs.ok).toBe(true);
    expect(brief(hangs).warnings).toEqual([['handler.module', 3, expect.stringMatching(/^\.\/h\.mjs: loading it took longer than 3s, so its exports were not checked/)]]);
  });
});

describe('handler.command', () => {
  it('a program missing from PATH is an error for local workers, a warning for slurm and external ones', async () => {
    const local = await check('{ command: "pyhton3 score.py" }', {});
    expect(brief(local).issues).toEqual([['handler.command', 3, '"pyhton3" is not a program on PATH: install it, fix its name, or give its path']]);
    const slurm = await check('{ command: "pyhton3 score.py" }', {}, ['compute: { dispatcher: slurm }']);
    expect(slurm.ok).toBe(true);
    expect(brief(slurm).warnings).toEqual([['handler.command', 3, expect.stringContaining('with dispatcher slurm it must exist on the machines the workers run on')]]);
  });

  it('a relative program is looked up in the job directory and must be executable; handler.env.PATH is searched', async () => {
    const notExec = await check('{ command: "./bin/score --fast" }', { 'bin/score': '#!/bin/sh\ncat\n' });
    expect(brief(notExec).issues).toEqual([['handler.command', 3, expect.stringMatching(/^"\.\/bin\/score" is not executable \(.*bin\/score\): chmod \+x it/)]]);
    await chmod(join(dir, 'bin/score'), 0o755);
    expect((await check('{ command: "./bin/score --fast" }', {})).ok).toBe(true);
    expect((await check('{ command: "score", env: { PATH: bin } }', {})).ok).toBe(true);
    expect(brief(await check('{ command: "./nope.sh" }', {})).issues).toEqual([['handler.command', 3, expect.stringMatching(/^"\.\/nope\.sh" not found \(looked for .*nope\.sh;/)]]);
  });

  it.each([
    ['python3 score.py', 'python3'],
    ['FOO=1 BAR=x ./run.sh a', './run.sh'],
    ['$TOOL run', null],
    ['"my tool" x', null],
    ['cd sub && make', null],
    ['if true; then cat; fi', null],
    ['(cat)', null],
    ['cat | wc -l', 'cat'],
  ])('the program of %j is %j', (command, program) => {
    expect(commandProgram(command)).toBe(program);
  });
});
