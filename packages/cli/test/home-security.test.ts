/**
 * Who can read a home, and what a parameter can do to a command (issue 13,
 * "Security"): the home is 0700 and every file djc writes there (and the
 * result file) 0600 whatever the umask, unless DJC_HOME_SHARING=group asks
 * for 0750/0640; `${params.x}` in a command is one shell word, taken
 * literally, and `${raw.params.x}` is the author's explicit way out.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DJC, djcStart, sandboxPerTest, waitFor, type CliResult } from './helpers.js';

const box = sandboxPerTest('djc-home-sec-');

/** `djc ...args` in the sandbox under `umask` (the default umask of most systems: 022). */
function djcUmask(args: string[], env: Record<string, string> = {}, umask = '022'): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, DJC, ...args], {
      cwd: box.dir, env: { ...cleanEnv(), DJC_HOME: box.home, ...env }, timeout: 120_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DJC_')) delete env[k];
  return env;
}

/** Every path under `dir` (itself included) with its permission bits, e.g. ["700 .djc", "600 .djc/djc.sqlite"]. */
function modes(dir: string, base = dir): string[] {
  const out = [`${(lstatSync(dir).mode & 0o777).toString(8)} ${dir.slice(base.length + 1) || '.'}`];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p, base));
    else out.push(`${(lstatSync(p).mode & 0o777).toString(8)} ${p.slice(base.length + 1)}`);
  }
  return out;
}

const readableBy = (who: 'other' | 'group', list: string[]) =>
  list.filter((l) => (parseInt(l.split(' ')[0] as string, 8) & (who === 'other' ? 0o007 : 0o070)) !== 0);

function writeJob(command: string, extra = ''): string {
  writeFileSync(join(box.dir, 'in.txt'), 'a\nb\nc\n');
  writeFileSync(join(box.dir, 'job.yaml'), [
    'name: sec', 'parameters: { x: none }', 'input: { path: in.txt, format: text, batch: { records: 1 } }',
    `handler: { command: ${JSON.stringify(command)} }`, 'compute: { workers: 2 }', 'output: { path: out/result.txt }', extra, '',
  ].join('\n'));
  return 'job.yaml';
}

describe('the home and the result file are private by default', () => {
  it('leaves no world- or group-readable path in a home after a job, under umask 022', async () => {
    writeJob('cat');
    const r = await djcUmask(['run', 'job.yaml']);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    const home = modes(box.home);
    expect(home.length).toBeGreaterThan(8); // the database, blobs, worker logs were all looked at
    expect(home).toContain('700 .');
    expect(home).toContain('600 djc.sqlite');
    expect(home.some((l) => /^600 workers\/.*\.log$/.test(l))).toBe(true);
    expect(home.some((l) => /^600 blobs\/jobs\/.*manifest\.json$/.test(l))).toBe(true);
    expect(readableBy('other', home)).toEqual([]);
    expect(readableBy('group', home)).toEqual([]);
    expect(statSync(join(box.dir, 'out/result.txt')).mode & 0o777).toBe(0o600);
  });

  it('keeps the database, its -wal and -shm and the api socket private while a daemon runs', async () => {
    writeJob('cat');
    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    try {
      await waitFor('the daemon', async () => existsSync(join(box.home, 'api.sock')), 30_000);
      const sub = await djcUmask(['submit', 'job.yaml', '--json']);
      expect(sub.code).toBe(0);
      const jobId = (JSON.parse(sub.stdout) as { jobId: string }).jobId;
      const wait = await djcUmask(['wait', jobId]);
      expect(wait.code).toBe(0);
      const home = modes(box.home);
      expect(home).toEqual(expect.arrayContaining(['600 djc.sqlite', '600 djc.sqlite-wal', '600 djc.sqlite-shm']));
      expect(readableBy('other', home)).toEqual([]);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
  });

  it('makes an existing world-readable home private once, and says so', async () => {
    mkdirSync(box.home, { mode: 0o755 });
    writeFileSync(join(box.home, 'notes.txt'), 'old');
    writeJob('cat');
    const first = await djcUmask(['run', 'job.yaml']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`djc: changed the mode of the home ${box.home} from 0755 to 0700 (DJC_HOME_SHARING=private; `);
    expect(statSync(box.home).mode & 0o777).toBe(0o700);
    const again = await djcUmask(['run', 'job.yaml']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('changed the mode');
  });

  it('shares the home with its group (never with others) under DJC_HOME_SHARING=group', async () => {
    writeJob('cat');
    const r = await djcUmask(['run', 'job.yaml'], { DJC_HOME_SHARING: 'group' });
    expect(r.code).toBe(0);
    const home = modes(box.home);
    expect(home).toEqual(expect.arrayContaining(['750 .', '640 djc.sqlite']));
    expect(readableBy('other', home)).toEqual([]);
    expect(statSync(join(box.dir, 'out/result.txt')).mode & 0o777).toBe(0o640);
  });

  it('refuses an unknown DJC_HOME_SHARING with the values it takes (exit 2)', async () => {
    writeJob('cat');
    const r = await djcUmask(['run', 'job.yaml'], { DJC_HOME_SHARING: 'world' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DJC_HOME_SHARING is "world"');
    expect(r.stderr).toContain('private (the default');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('parameters in a command are quoted for the shell', () => {
  it('runs no command substitution from --set, and the handler receives the literal text', async () => {
    writeJob("printf '%s|\\n' ${params.x}; cat >/dev/null");
    const r = await djcUmask(['run', 'job.yaml', '--set', 'params.x=$(touch PWNED) `touch PWNED2`; touch PWNED3']);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(readdirSync(box.dir).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    expect(readFileSync(join(box.dir, 'out/result.txt'), 'utf8')).toBe('$(touch PWNED) `touch PWNED2`; touch PWNED3|\n'.repeat(3));
  });

  it('inserts ${raw.params.x} as written, for a shell fragment the author wants', async () => {
    writeJob('${raw.params.x}; cat >/dev/null');
    const r = await djcUmask(['run', 'job.yaml', '--set', 'params.x=echo one two | tr a-z A-Z']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(box.dir, 'out/result.txt'), 'utf8')).toBe('ONE TWO\n'.repeat(3));
  });
});
