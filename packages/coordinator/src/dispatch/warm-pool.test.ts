/**
 * The warm pool's replacement worker waits while a job prepares in this
 * process: a process start would take CPU from the prepare and the job's
 * first workers. Real child processes (a stand-in for `djc-worker --warm`
 * that waits for its stdin to close) and a real prepareJob on a local
 * backend, held before its last step.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, loadJobFile, type Backend, type JobRecord } from '@djc/core';
import { prepareJob, preparesRunning } from '../prepare.js';
import { submitJob } from '../submit.js';
import { useLocalHomes } from '../testing/local-home.js';
import { createWarmPool, type WarmPool } from './warm-pool.js';

const log = createLogger({ name: 'test', level: 'silent' });
const openHome = useLocalHomes('djc-warm-pool-');
/** Waits for its stdin to close, as a warm worker does. */
const IDLE_WORKER = [process.execPath, '-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0));', '--'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pool: WarmPool | null = null;
let logDir: string | null = null;
afterEach(async () => {
  await pool?.stop();
  pool = null;
  if (logDir) rmSync(logDir, { recursive: true, force: true });
  logDir = null;
});

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The backend, with the job's move to RUNNING (prepare's last step) held until `open()`. */
function heldAtRunning(backend: Backend): { backend: Backend; reached: Promise<void>; open: () => void } {
  let reached!: () => void;
  let open!: () => void;
  const atRunning = new Promise<void>((r) => { reached = r; });
  const gate = new Promise<void>((r) => { open = r; });
  const state = new Proxy(backend.state, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'transitionJob' || typeof v !== 'function') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      return async (jobId: string, from: unknown, to: string, ...rest: unknown[]) => {
        if (to === 'RUNNING') {
          reached();
          await gate;
        }
        return (v as (...a: unknown[]) => unknown).call(target, jobId, from, to, ...rest);
      };
    },
  });
  return { backend: { ...backend, state }, reached: atRunning, open };
}

async function submitted(dir: string, backend: Backend): Promise<JobRecord> {
  writeFileSync(join(dir, 'in.jsonl'), '{"i":1}\n{"i":2}\n');
  writeFileSync(join(dir, 'job.yaml'), 'name: warm\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\n');
  return submitJob(backend, await loadJobFile(join(dir, 'job.yaml')), 'daemon');
}

describe('warm pool refill', () => {
  it('starts no replacement while a job prepares in this process; starts it once the job is prepared', async () => {
    const { dir, backend } = openHome();
    logDir = mkdtempSync(join(tmpdir(), 'djc-warm-pool-logs-'));
    pool = createWarmPool({ workerCommand: IDLE_WORKER, env: {}, logDir, log, size: 1, graceS: 1, refillDelayMs: 10 });
    pool.start();
    await until('the first idle worker', () => pool!.idle() === 1);

    const held = heldAtRunning(backend);
    const preparing = prepareJob(held.backend, await submitted(dir, backend), log);
    await held.reached;
    expect(preparesRunning()).toBe(1);
    const taken = pool.take();
    expect(taken).not.toBeNull();
    taken!.child.stdin?.end();
    // Many times the refill delay, and the re-check after it: still no replacement.
    await sleep(800);
    expect(pool.idle()).toBe(0);

    held.open();
    expect((await preparing).status).toBe('RUNNING');
    expect(preparesRunning()).toBe(0);
    await until('the replacement', () => pool!.idle() === 1);
  });

  it('replaces a taken worker after the delay when no job prepares', async () => {
    logDir = mkdtempSync(join(tmpdir(), 'djc-warm-pool-logs-'));
    pool = createWarmPool({ workerCommand: IDLE_WORKER, env: {}, logDir, log, size: 1, graceS: 1, refillDelayMs: 10 });
    pool.start();
    await until('the first idle worker', () => pool!.idle() === 1);
    pool.take()!.child.stdin?.end();
    await until('the replacement', () => pool!.idle() === 1);
  });
});

describe('a pool that is not refilled (djc run\'s)', () => {
  it('starts its workers within start(), even while a job prepares, and never replaces one taken or dead', async () => {
    const { dir, backend } = openHome();
    logDir = mkdtempSync(join(tmpdir(), 'djc-warm-pool-logs-'));
    const held = heldAtRunning(backend);
    const preparing = prepareJob(held.backend, await submitted(dir, backend), log);
    await held.reached;
    pool = createWarmPool({ workerCommand: IDLE_WORKER, env: {}, logDir, log, size: 2, graceS: 1, refillDelayMs: 10, refill: false, deferRefill: () => false });
    pool.start();
    // In the call: no turn of the event loop needed (djc run goes on opening its home meanwhile).
    expect(pool.idle()).toBe(2);
    const taken = pool.take();
    taken!.child.stdin?.end();
    const other = pool.take();
    other!.child.kill('SIGKILL');
    held.open();
    await preparing;
    await sleep(300);
    expect(pool.idle()).toBe(0);
    expect(pool.take()).toBeNull();
  });

  it('an unwritable log directory turns the pool off with a warning, without throwing', async () => {
    const warnings: string[] = [];
    // A logger that keeps the warnings' messages.
    const seen = new Proxy(log, { get: (t, k) => (k === 'warn' ? (_o: unknown, msg: string) => { warnings.push(msg); } : Reflect.get(t, k)) });
    logDir = mkdtempSync(join(tmpdir(), 'djc-warm-pool-logs-'));
    // A file where the pool's directory would go.
    writeFileSync(join(logDir, 'not-a-dir'), '');
    pool = createWarmPool({ workerCommand: IDLE_WORKER, env: {}, logDir: join(logDir, 'not-a-dir'), log: seen, size: 1, graceS: 1, refill: false, deferRefill: () => false });
    expect(() => pool!.start()).not.toThrow();
    expect(pool.idle()).toBe(0);
    expect(pool.take()).toBeNull();
    expect(warnings).toEqual(['cannot start a warm worker: the warm pool is off, jobs start their own workers']);
  });
});
