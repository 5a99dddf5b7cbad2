/**
 * Loads user modules (handler.module, output.reduce) in a child process,
 * the way workers load them (TypeScript through tsx), to check before any
 * task runs that each file compiles and exports the named function. A child
 * process, not a thread: a module whose top level hangs, blocks in a read,
 * exits the process or prints is contained, and the whole process group is
 * killed when the check ends or times out.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseModuleRef } from '../util/import-module.js';
import { probedBefore, rememberProbed } from './module-probe-cache.js';
import { parseDuration } from './units.js';

/** What the child reports for one module ref. */
export type ProbeReport =
  | { ref: string; status: 'loading' }
  | { ref: string; status: 'ok'; files?: string[]; env?: string[] | '*' }
  | { ref: string; status: 'missing'; message: string; hint: string }
  | { ref: string; status: 'failed'; message: string };

/** The outcome for one ref: the child's last report, or what stopped it while the module was loading. */
export type ProbeOutcome =
  | Exclude<ProbeReport, { status: 'loading' }>
  | { ref: string; status: 'timeout' | 'crashed'; message: string };

/** How long loading the modules may take, unless DJC_MODULE_CHECK_TIMEOUT says otherwise. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
const STDERR_TAIL_CHARS = 400;

export interface ProbeOptions {
  /** Working directory of the child (the job file's directory, as for command handlers). */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Default: DJC_MODULE_CHECK_TIMEOUT (a duration), else DEFAULT_PROBE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** A directory remembering refs found good (module-probe-cache.ts): an unchanged one is not loaded again. Default: none. */
  cacheDir?: string;
}

/** The probe's timeout from the environment (DJC_MODULE_CHECK_TIMEOUT, e.g. "30s"), or the default. */
export function probeTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.DJC_MODULE_CHECK_TIMEOUT;
  const ms = text === undefined || text === '' ? null : parseDuration(text);
  return ms !== null && ms > 0 ? ms : DEFAULT_PROBE_TIMEOUT_MS;
}

/** Loads every ref ("/abs/file.ts#export") in one child process; one outcome per ref, in order. */
export async function probeModules(refs: readonly string[], opts: ProbeOptions): Promise<ProbeOutcome[]> {
  const { cacheDir } = opts;
  if (cacheDir === undefined) return probeInChild(refs, opts);
  const env = opts.env ?? process.env;
  const known = new Set(refs.filter((ref) => probedBefore(cacheDir, ref, opts.cwd, env)));
  const startedMs = Date.now();
  const probed = await probeInChild(refs.filter((ref) => !known.has(ref)), opts);
  for (const o of probed) {
    if (o.status === 'ok') rememberProbed(cacheDir, o.ref, opts.cwd, env, parseModuleRef(o.ref).file, o.files, o.env, startedMs);
  }
  const byRef = new Map(probed.map((o) => [o.ref, o]));
  return refs.map((ref) => byRef.get(ref) ?? { ref, status: 'ok' });
}

function probeInChild(refs: readonly string[], opts: ProbeOptions): Promise<ProbeOutcome[]> {
  if (refs.length === 0) return Promise.resolve([]);
  const timeoutMs = opts.timeoutMs ?? probeTimeoutMs(opts.env);
  const { file, execArgv } = childEntry();
  const child = spawn(process.execPath, [...execArgv, file, JSON.stringify(refs)], {
    cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true,
  });
  const reports = new Map<string, ProbeReport>();
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4 * STDERR_TAIL_CHARS);
  });
  child.on('message', (r: ProbeReport) => reports.set(r.ref, r));
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    const done = (how: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whatever the modules started at their top level goes with the child.
      killGroup(child.pid);
      resolve(refs.map((ref) => outcomeOf(ref, reports.get(ref), timedOut ? null : how, timeoutMs, stderr)));
    };
    child.on('error', (e) => done(`could not start: ${e.message}`));
    // A process the module started may hold the pipes open: end the group at the child's exit, so that 'close' follows.
    child.on('exit', () => killGroup(child.pid));
    child.on('close', (code, signal) => done(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
}

function outcomeOf(ref: string, report: ProbeReport | undefined, ended: string | null, timeoutMs: number, stderr: string): ProbeOutcome {
  if (report !== undefined && report.status !== 'loading') return report;
  if (ended === null) return { ref, status: 'timeout', message: `loading it took longer than ${timeoutMs / 1000}s` };
  const tail = lastLines(stderr);
  return { ref, status: 'crashed', message: `loading it ended the process (it ${ended})${tail ? `: ${tail}` : ''}` };
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  const tail = lines.slice(-3).join(' | ');
  return tail.length > STDERR_TAIL_CHARS ? `…${tail.slice(-STDERR_TAIL_CHARS)}` : tail;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The child's entry: the built .js, or from TypeScript sources (tests) the .ts through tsx's loader. */
function childEntry(): { file: string; execArgv: string[] } {
  const url = new URL(`./module-probe-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return { file: fileURLToPath(url), execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file: fileURLToPath(url), execArgv: ['--import', tsx] };
}
