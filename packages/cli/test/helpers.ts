import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const DJC = join(ROOT, 'packages/cli/dist/bin.js');

/**
 * Fails with the fix when another user (the tests run the CLI as nobody when
 * they run as root) cannot reach the built CLI: a directory above the
 * checkout without o+x, as `mktemp -d` makes. scripts/test.sh opens them for
 * its run.
 */
export function expectCliReachableByOthers(): void {
  for (let dir = dirname(ROOT); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(`${dir} is not searchable by other users, so the CLI cannot run as nobody from ${ROOT}: run the tests through scripts/test.sh (it adds o+x for the run), or chmod o+x ${dir}`);
    }
    if (dir === dirname(dir)) return;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp dir per test: the job files live here and DJC_HOME is <dir>/.djc. */
export function makeSandbox(prefix = 'djc-e2e-'): { dir: string; home: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, home: join(dir, '.djc'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh sandbox for each test of the file (beforeEach), checked for
 * leaked processes and removed after it (afterEach). Its `dir` and `home`
 * are the current test's; `run` is `djc` there.
 */
export function sandboxPerTest(prefix = 'djc-e2e-'): { readonly dir: string; readonly home: string; run(args: string[]): Promise<CliResult> } {
  let current: ReturnType<typeof makeSandbox> | null = null;
  const now = () => {
    if (current === null) throw new Error('sandboxPerTest: used outside a test');
    return current;
  };
  beforeEach(() => {
    current = makeSandbox(prefix);
  });
  afterEach(async () => {
    const box = now();
    current = null;
    expect(await leakedProcesses(box.home)).toEqual([]);
    box.cleanup();
  });
  return {
    get dir() { return now().dir; },
    get home() { return now().home; },
    run: (args) => djc(args, { cwd: now().dir, home: now().home }),
  };
}

/** Copies an example (without generated data) into `dir`. */
export function copyExample(name: string, dir: string): string {
  const to = join(dir, name);
  cpSync(join(ROOT, 'examples', name), to, { recursive: true, filter: (src) => !/\/(data|out)(\/|$)/.test(src.slice(ROOT.length)) });
  return to;
}

/** Runs `djc ...args` to completion. */
export function djc(args: string[], opts: { cwd: string; home: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [DJC, ...args],
      { cwd: opts.cwd, env: djcEnv(opts.home, opts.env), timeout: opts.timeoutMs ?? 150_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Starts `djc ...args` in the background; `done` resolves when it exits;
 * `stderr()` is what it wrote so far. `detached`: in its own process group
 * (so `process.kill(-child.pid, sig)` reaches it and its workers, as Ctrl-C
 * in a terminal does).
 */
export function djcStart(
  args: string[], opts: { cwd: string; home: string; env?: Record<string, string>; detached?: boolean },
): { child: ChildProcess; done: Promise<CliResult>; stderr(): string } {
  const child = spawn(process.execPath, [DJC, ...args], {
    cwd: opts.cwd, env: djcEnv(opts.home, opts.env), stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((r) => child.on('close', (code, signal) => r({ code: code ?? (signal ? 128 : 1), stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

/** The test's environment, without djc settings inherited from the shell running the tests. */
function djcEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(inherited)) if (k.startsWith('DJC_')) delete inherited[k];
  return { ...inherited, DJC_HOME: home, ...extra };
}

/** Runs an example's data generator with a record count into its data dir. */
export function generate(exampleDir: string, records: number): Promise<void> {
  return new Promise((res, rej) => {
    execFile(process.execPath, [join(exampleDir, 'generate.mjs'), String(records)], (err) => (err ? rej(err) : res()));
  });
}

/** PIDs of live processes whose environment names this DJC_HOME (workers, coordinators). */
export function processesUsing(home: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (/State:\s+Z/.test(readFileSync(`/proc/${d}/status`, 'utf8'))) continue;
      const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      if (env.includes(`DJC_HOME=${home}`)) pids.push(Number(d));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/**
 * Worker processes (djc-worker) of a DJC_HOME, without a daemon's idle warm
 * workers (they belong to no job; idleWarmWorkerPids lists them).
 */
export function workerPids(home: string): number[] {
  return processesUsing(home).filter((pid) => isWorker(pid) && !isIdleWarm(pid, home));
}

/** A daemon's idle warm workers (coordinator dispatch/warm-pool.ts): their log is still in <home>/workers/warm/. */
export function idleWarmWorkerPids(home: string): number[] {
  return processesUsing(home).filter((pid) => isWorker(pid) && isIdleWarm(pid, home));
}

function isWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/dist/bin.js');
  } catch {
    return false;
  }
}

/** Its stdout is a log under the pool's directory: a bound warm worker's log was moved to its job's (the link follows the rename). */
function isIdleWarm(pid: number, home: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/1`).startsWith(join(home, 'workers', 'warm') + sep);
  } catch {
    return false;
  }
}

/** Waits until no process uses `home`; returns the leftovers after the timeout (and kills them). */
export async function leakedProcesses(home: string, timeoutMs = 10_000): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  let left = processesUsing(home);
  while (left.length > 0 && Date.now() < end) {
    await sleep(100);
    left = processesUsing(home);
  }
  for (const pid of left) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return left;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function readJsonl(file: string): unknown[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
}
