/**
 * Helpers shared by the benchmark scripts: paths, temp dirs, timing child
 * processes, medians. Each measurement script prints one JSON line to stdout;
 * everything else (progress) goes to stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DJC_BIN = join(ROOT, 'packages/cli/dist/bin.js');
export const BENCH_DATA = join(ROOT, 'bench-data');
export const TIME_BIN = '/usr/bin/time';

/** Progress line on stderr (stdout is reserved for the one JSON result line). */
export function note(...parts) {
  process.stderr.write(`bench: ${parts.join(' ')}\n`);
}

/** A fresh directory under bench-data/ (gitignored); `remove()` deletes it unless BENCH_KEEP=1. */
export async function tempDir(prefix) {
  await mkdir(BENCH_DATA, { recursive: true });
  const dir = await mkdtemp(join(BENCH_DATA, `${prefix}-`));
  return {
    dir,
    remove: () => (process.env.BENCH_KEEP === '1' ? Promise.resolve() : rm(dir, { recursive: true, force: true })),
  };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x, digits = 2) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/** Is `cmd` on the PATH? */
export function have(cmd) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

/**
 * Runs a command to completion and measures its wall time in ms. Rejects on
 * a non-zero exit (with the tail of stderr). With `rss: true` and GNU time
 * present, runs it under `/usr/bin/time -v` and adds its peak RSS (KiB) and
 * CPU time (user + sys, ms, including the children it waited for); GNU
 * time's own startup is a millisecond or so, the same for every tool.
 */
export function run(cmd, args, opts = {}) {
  const useTime = opts.rss === true && existsSync(TIME_BIN);
  const [file, argv] = useTime ? [TIME_BIN, ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited with ${code ?? signal}: ${tail}`));
        return;
      }
      const field = (re) => (useTime ? Number(re.exec(stderr)?.[1] ?? NaN) : NaN);
      const rss = field(/Maximum resident set size \(kbytes\): (\d+)/);
      const cpu = field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/);
      resolvePromise({ ms, stdout, stderr, maxRssKiB: Number.isNaN(rss) ? null : rss, cpuMs: Number.isNaN(cpu) ? null : cpu * 1000 });
    });
  });
}

/** Runs `fn` as the script's main: prints its result as one JSON line, or the error and exit 1. */
export function main(name, fn) {
  const started = new Date();
  fn().then(
    (result) => {
      const seconds = round((Date.now() - started.getTime()) / 1000, 1);
      process.stdout.write(`${JSON.stringify({ benchmark: name, measuredAt: started.toISOString(), seconds, ...result })}\n`);
    },
    (e) => {
      process.stderr.write(`bench: ${name} failed: ${e?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}

/** mulberry32: a small seeded PRNG (numbers in [0, 1)), so every run of a benchmark makes the same data. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The p-th quantile (0..1) of xs, nearest rank. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/**
 * `djc coordinator ...args` in `dir` with `env`, in the background. `ready`
 * resolves once it says it runs, with its banner (stderr so far) and, when
 * it listens on TCP (--listen), its base URL.
 */
export function startCoordinator(dir, env, args = [], nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, DJC_BIN, 'coordinator', ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const tcp = args.includes('--listen');
  let err = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      err += b;
      const url = /and (https?:\/\/[\d.]+:\d+)/.exec(err)?.[1] ?? null;
      if (err.includes('coordinator running') && (!tcp || url)) resolve({ banner: err, url });
    });
    child.on('exit', (code) => reject(new Error(`djc coordinator exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`)));
  });
  return { child, ready, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}
