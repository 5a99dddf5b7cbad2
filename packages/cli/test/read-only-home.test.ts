/**
 * A read-only DJC_HOME (issue 13): list, status, tasks, logs and results
 * read it; a command that would write exits 3 naming the read-only home;
 * nothing in the home changes.
 *
 * Two ways a home is read-only, both driven here:
 * - `chmod a-w` on the home: read-only to everyone. The kernel refuses a
 *   normal user; root, whom access(2) lets write anyway, is refused by djc's
 *   own rule (a home with no write bit is read-only: read-only-home.ts).
 * - a home another user lets us read but not write: when the tests run as
 *   root, the CLI runs as `nobody` (setpriv) over a home chowned to nobody
 *   with its write bit off, so the kernel refuses every write and SQLite
 *   cannot create its -shm file (djc then opens the database immutable).
 *   Run as a normal user, the CLI runs as that user over the same home.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DJC, djc, expectCliReachableByOthers, sandboxPerTest, type CliResult } from './helpers.js';

const box = sandboxPerTest('djc-ro-home-');
const ROOT_USER = process.getuid?.() === 0;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function writeJobs(): void {
  writeFileSync(join(box.dir, 'in.txt'), 'a\nb\n');
  writeFileSync(join(box.dir, 'ok.yaml'), 'name: ok\ninput: { path: in.txt, format: text, batch: { records: 1 } }\nhandler: { command: "echo log line >&2; tr a-z A-Z" }\ncompute: { workers: 1 }\n');
  writeFileSync(join(box.dir, 'bad.yaml'), 'name: bad\ninput: { path: in.txt, format: text, batch: { records: 1 } }\nhandler: { command: "exit 3" }\ncompute: { workers: 1 }\nretry: { max_attempts: 1 }\n');
}

/** Runs the two jobs (writable home); returns their ids. */
async function twoJobs(): Promise<{ ok: string; bad: string }> {
  writeJobs();
  const ok = await box.run(['run', 'ok.yaml', '--json']);
  expect(ok.code).toBe(0);
  const bad = await box.run(['run', 'bad.yaml', '--json']);
  expect(bad.code).toBe(1);
  return { ok: (JSON.parse(ok.stdout) as { jobId: string }).jobId, bad: (JSON.parse(bad.stdout) as { jobId: string }).jobId };
}

/** Each path of the home with its size and the database's hash: what a reader must leave alone. */
function snapshot(home: string, ignore: RegExp | null = null): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = p.slice(home.length + 1);
      if (ignore?.test(rel)) continue;
      if (e.isDirectory()) walk(p);
      else out.push(`${rel} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(home);
  out.push(`sha256 ${createHash('sha256').update(readFileSync(join(home, 'djc.sqlite'))).digest('hex')}`);
  return out.sort();
}

/** The reading and the writing commands, and what they must answer. */
async function checkReadOnly(run: (args: string[]) => Promise<CliResult>, ids: { ok: string; bad: string }): Promise<void> {
  const list = await run(['list']);
  expect(list.stderr).toBe('');
  expect(list).toMatchObject({ code: 0 });
  expect(list.stdout).toMatch(new RegExp(`${ids.ok}\\s+SUCCEEDED`));
  expect(list.stdout).toMatch(new RegExp(`${ids.bad}\\s+FAILED`));
  const status = await run(['status', ids.bad, '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ jobId: ids.bad, status: 'FAILED' });
  const tasks = await run(['tasks', ids.ok]);
  expect(tasks.code).toBe(0);
  expect(tasks.stdout.match(/SUCCEEDED/g)).toHaveLength(2);
  const logs = await run(['logs', ids.ok, '--task', '1']);
  expect(logs.code).toBe(0);
  expect(logs.stdout).toContain('log line');
  const results = await run(['results', ids.ok]);
  expect(results).toMatchObject({ code: 0, stdout: 'A\nB\n' });

  for (const args of [['retry', ids.bad], ['run', 'ok.yaml'], ['submit', 'ok.yaml']]) {
    const r = await run(args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 3, stdout: '' });
    expect(r.stderr).toContain(`djc: the home ${box.home} is read-only: djc can read its jobs here but not `);
    expect(r.stderr).toContain(`hint: run this as the home's owner, make it writable (chmod u+w ${box.home}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  const json = await run(['retry', ids.bad, '--json']);
  expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'BACKEND_UNAVAILABLE', details: { reason: 'read-only' } } });
}

describe('a read-only home', () => {
  it('chmod a-w: reads work, writes exit 3 naming the home, and the database is unchanged', async () => {
    const ids = await twoJobs();
    // A reader with the right to write (root) may leave SQLite's -wal/-shm beside the file; the data stays unchanged.
    const before = snapshot(box.home, /^djc\.sqlite-(wal|shm)$/);
    chmodSync(box.home, 0o500);
    chmodSync(join(box.home, 'djc.sqlite'), 0o400);
    try {
      await checkReadOnly((args) => djc(args, { cwd: box.dir, home: box.home }), ids);
      expect(snapshot(box.home, /^djc\.sqlite-(wal|shm)$/)).toEqual(before);
    } finally {
      chmodSync(box.home, 0o700);
      chmodSync(join(box.home, 'djc.sqlite'), 0o600);
    }
  });

  it('a home of another user who lets us read it: reads work without creating a file, writes exit 3', async () => {
    const ids = await twoJobs();
    writeFileSync(join(box.dir, 'file.yaml'), 'name: file\ninput: { path: in.txt, format: text, batch: { records: 1 } }\nhandler: { command: cat }\ncompute: { workers: 1 }\noutput: { path: out/result.txt }\n');
    const toFile = await box.run(['run', 'file.yaml', '--json']);
    expect(toFile.code).toBe(0);
    const fileJob = (JSON.parse(toFile.stdout) as { jobId: string }).jobId;
    // Another user: nobody (as root, through setpriv); a normal user running the tests reads a home whose write bits are off.
    const asOther = ROOT_USER && SETPRIV !== undefined;
    chmodSync(box.dir, 0o711);
    if (asOther) chownTree(box.home, 65534, 65534);
    chmodSync(box.home, 0o500);
    // djc's commands exit without a checkpoint (the WAL stays, with its -shm: Backend CloseOptions); a reader that
    // may write the -shm (here the files are nobody's own) rebuilds SQLite's index of the WAL in it. The data stays unchanged.
    const shm = /^djc\.sqlite-shm$/;
    const before = snapshot(box.home, shm);
    try {
      const run = asOther ? (args: string[]) => djcAs(65534, args) : (args: string[]) => djc(args, { cwd: box.dir, home: box.home });
      await checkReadOnly(run, ids);
      // The result file is its owner's alone (0600): another user is told so (exit 3), the owner reads it.
      const result = await run(['results', fileJob]);
      if (asOther) {
        expect(result).toMatchObject({ code: 3, stdout: '' });
        expect(result.stderr).toContain(`djc: cannot read the result file ${join(box.dir, 'out/result.txt')} of ${fileJob}: permission denied`);
      } else {
        expect(result).toMatchObject({ code: 0, stdout: 'a\nb\n' });
      }
      expect(snapshot(box.home, shm)).toEqual(before);
    } finally {
      chmodSync(box.home, 0o700);
      if (asOther) chownTree(box.home, 0, 0);
    }
  });
});

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

/** `djc ...args` as user `uid` (root only), in the sandbox. */
function djcAs(uid: number, args: string[]): Promise<CliResult> {
  expectCliReachableByOthers();
  const env: NodeJS.ProcessEnv = { ...process.env, DJC_HOME: box.home, HOME: '/' };
  for (const k of Object.keys(env)) if (k.startsWith('DJC_') && k !== 'DJC_HOME') delete env[k];
  return new Promise((resolve) => {
    execFile(SETPRIV as string, [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, DJC, ...args], { cwd: box.dir, env, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
