/**
 * One place for state (docs/cli.md, "Where djc keeps its state"): --home,
 * else DJC_HOME, else the nearest .djc upward from the current directory,
 * else $XDG_STATE_HOME/djc (~/.local/state/djc). Commands that read never
 * create a home; `run` creates the home the rule picks.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leakedProcesses, makeSandbox } from './helpers.js';
import { djcAt, homesAbove, place, tree, writeJob, type Place } from './home-helpers.js';

let box: ReturnType<typeof makeSandbox>;
let p: Place;
/** Homes the test's workers may have used: checked for leaked processes. */
let homes: string[];
beforeEach(() => {
  box = makeSandbox('djc-home-');
  p = place(box.dir);
  homes = [];
  expect(homesAbove(box.dir), 'a .djc above the temp directory would be found by every test here: remove it').toEqual([]);
});
afterEach(async () => {
  for (const h of homes) expect(await leakedProcesses(h)).toEqual([]);
  box.cleanup();
});

/** Runs the job file with cwd `cwd`; returns its id. */
async function runJob(cwd: string, file: string, env: Record<string, string> = {}, tag = 'x'): Promise<string> {
  const r = await djcAt(p, cwd, ['run', file, '--json', '--set', `params.tag=${tag}`], env);
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { jobId: string }).jobId;
}

describe('reading commands in a fresh directory', () => {
  it('create no home and no database, and say which home they searched', async () => {
    const cwd = join(box.dir, 'fresh', 'sub');
    mkdirSync(cwd, { recursive: true });
    const before = tree(box.dir);
    const why = `the per-user home: no .djc in ${cwd} or its parents`;

    const list = await djcAt(p, cwd, ['list']);
    expect(list).toMatchObject({ code: 0, stdout: '' });
    expect(list.stderr).toBe(`no jobs (searched ${p.userHome}: ${why})\n`);
    const json = await djcAt(p, cwd, ['list', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ jobs: [] });

    const newest = await djcAt(p, cwd, ['status']);
    expect(newest.code).toBe(4);
    expect(newest.stdout).toBe('');
    expect(newest.stderr).toContain(`no jobs in ${p.userHome}`);
    for (const args of [['status', 'wc'], ['tasks', 'wc'], ['logs', 'wc', '--task', '0'], ['wait', 'wc'], ['results', 'wc'], ['cancel', 'wc'], ['retry', 'wc']]) {
      const r = await djcAt(p, cwd, args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 4, stdout: '' });
      expect(r.stderr).toContain(`djc: no job wc in ${p.userHome}\n`);
    }
    const asJson = JSON.parse((await djcAt(p, cwd, ['status', 'wc', '--json'])).stderr) as { error: { code: string; message: string } };
    expect(asJson.error).toMatchObject({ code: 'NOT_FOUND', message: `no job wc in ${p.userHome}` });

    // XDG_STATE_HOME moves the per-user home; it is not created either.
    const xdg = join(box.dir, 'xdg');
    const moved = await djcAt(p, cwd, ['list'], { XDG_STATE_HOME: xdg });
    expect(moved.stderr).toBe(`no jobs (searched ${join(xdg, 'djc')}: ${why})\n`);
    expect(tree(box.dir)).toEqual(before);
    expect(existsSync(p.userHome)).toBe(false);
  });

  it('an empty .djc found upward is used, and stays empty', async () => {
    mkdirSync(join(box.dir, 'proj', '.djc'), { recursive: true });
    const cwd = join(box.dir, 'proj', 'a');
    mkdirSync(cwd);
    const before = tree(box.dir);
    const r = await djcAt(p, cwd, ['list']);
    expect(r.stderr).toBe(`no jobs (searched ${join(box.dir, 'proj', '.djc')}: the nearest .djc from ${cwd})\n`);
    expect((await djcAt(p, cwd, ['status', 'last'])).code).toBe(4);
    expect(tree(box.dir)).toEqual(before);
  });
});

describe('where run puts a job, and who finds it', () => {
  it('without a .djc, run creates the per-user home and says so; any directory then finds the job', async () => {
    const proj = join(box.dir, 'proj');
    const file = writeJob(proj, 'wc');
    homes.push(p.userHome);
    const r = await djcAt(p, proj, ['run', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`djc: created the home ${p.userHome} (the per-user home: no .djc in ${proj} or its parents)`);
    expect(existsSync(join(p.userHome, 'djc.sqlite'))).toBe(true);
    expect(existsSync(join(proj, '.djc'))).toBe(false);

    const elsewhere = join(box.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const status = await djcAt(p, elsewhere, ['status', 'wc']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^job {6}wc-\d{14}-[0-9a-f]{6} \(wc\)\nstatus {3}SUCCEEDED/);
    // A second run says nothing about creating it.
    expect((await djcAt(p, proj, ['run', file])).stderr).not.toContain('created the home');
  });

  it('a .djc in a parent directory holds the jobs run from below it; workers find it too', async () => {
    const proj = join(box.dir, 'proj');
    const home = join(proj, '.djc');
    mkdirSync(home, { recursive: true });
    homes.push(home);
    const deep = join(proj, 'a', 'b');
    const file = writeJob(deep, 'wc', 3);
    const jobId = await runJob(deep, file, {}, 'deep');
    expect(existsSync(join(home, 'djc.sqlite'))).toBe(true);
    expect(existsSync(join(deep, '.djc'))).toBe(false);
    expect(existsSync(p.userHome)).toBe(false);

    for (const cwd of [proj, join(proj, 'a'), deep]) {
      const ids = await djcAt(p, cwd, ['list', '-q']);
      expect(ids).toMatchObject({ code: 0, stdout: `${jobId}\n` });
    }
    expect((await djcAt(p, join(proj, 'a'), ['results', 'last'])).stdout).toBe('deep\ndeep\ndeep\n');
    // The workers logged under the same home (they were given it as DJC_HOME).
    const workers = await djcAt(p, deep, ['logs', jobId, '--workers']);
    expect(workers.stdout).toContain(join(home, 'workers', jobId));
    // --verbose says which home and why.
    const verbose = await djcAt(p, deep, ['list', '--verbose']);
    expect(verbose.stderr).toContain(`"home":"${home}"`);
    expect(verbose.stderr).toContain(`"why":"the nearest .djc from ${deep}"`);
  });

  it('DJC_HOME wins over a .djc found upward, and --home wins over both (relative to the current directory)', async () => {
    const proj = join(box.dir, 'proj');
    mkdirSync(join(proj, '.djc'), { recursive: true });
    homes.push(join(proj, '.djc'));
    const jobId = await runJob(proj, writeJob(proj, 'wc'));
    const other = join(box.dir, 'other-home');
    const viaEnv = await djcAt(p, proj, ['list'], { DJC_HOME: other });
    expect(viaEnv.stderr).toBe(`no jobs (searched ${other}: from DJC_HOME)\n`);
    expect(existsSync(other)).toBe(false);
    const sub = join(proj, 'sub');
    mkdirSync(sub);
    const viaFlag = await djcAt(p, sub, ['--home', '../.djc', 'list', '-q'], { DJC_HOME: other });
    expect(viaFlag).toMatchObject({ code: 0, stdout: `${jobId}\n` });
    const flagAfter = await djcAt(p, sub, ['status', jobId, '--home', '../.djc', '--json'], { DJC_HOME: other });
    expect(JSON.parse(flagAfter.stdout)).toMatchObject({ jobId, status: 'SUCCEEDED' });
    expect(existsSync(other)).toBe(false);
  });
});
