#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+): a worker process, started
// once per worker of every job, skips most of the parsing and compiling.
// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
import * as nodeModule from 'node:module';

/** The heap limit of a job that sets no memory, in MiB (module-runner.ts's DEFAULT_HEAP_BYTES): warm-main.ts drops a spare of another limit. */
const EARLY_SPARE_LIMIT_MB = 2048;
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
startEarlySpare();
// The worker runs from one bundled file (+ chunks) that `pnpm build` writes
// (scripts/bundle-cli.mjs): resolving and reading its ~140 dist modules was
// most of a worker's start (~100 ms of CPU, ~35 bundled). Without the bundle
// (`tsc -b` alone) it runs the same code from the dist modules. A specifier
// in a variable: tsc does not see the bundle.
const bundled = new URL('./bundle/bin-main.js', import.meta.url);
try {
  await import(bundled.href);
} catch (e) {
  const err = e as { code?: string; url?: string; message?: string };
  const missing = err.code === 'ERR_MODULE_NOT_FOUND' && (err.url === bundled.href || String(err.message).startsWith(`Cannot find module '${bundled.pathname}'`));
  if (!missing) throw e;
  await import('./bin-main.js');
}

/**
 * A warm worker's spare handler thread (warm-main.ts) starts here, before
 * the worker's own modules load (~15-40 ms of a start): a module job's first
 * attempt waits for that thread to listen (Node's start of a thread, ~25 ms
 * on an idle core, then its bundle), and the worker is bound and ready to
 * run it sooner than that. warm-main.ts adopts it (spare-thread.ts); a worker
 * that turns out to need no spare ends it. Only with the thread's bundle
 * (`pnpm build`); built-ins only, so nothing of djc loads twice. Its
 * environment is the worker's without DJC_WARM_OPEN and
 * DJC_WARM_SPARE_THREAD, as warm-main.ts leaves it for the job.
 */
function startEarlySpare(): void {
  if (!process.argv.includes('--warm') || process.env.DJC_WARM_SPARE_THREAD === '0') return;
  const entry = new URL('./thread-bundle/module-thread.js', import.meta.url);
  if (!process.getBuiltinModule('node:fs').existsSync(entry)) return;
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const env = { ...process.env };
  delete env.DJC_WARM_OPEN;
  delete env.DJC_WARM_SPARE_THREAD;
  const worker = new Worker(entry, { env, resourceLimits: { maxOldGenerationSizeMb: EARLY_SPARE_LIMIT_MB } });
  // Handed over on globalThis (spare-thread.ts's takeEarlySpare): a module of djc imported here would load a second copy beside the bundle's.
  const early = { worker, limitMb: EARLY_SPARE_LIMIT_MB, ready: false, exited: false, stop: () => undefined as void };
  const onMessage = (m: { type?: string }) => { if (m?.type === 'ready') early.ready = true; };
  // An error ends the thread ('exit' follows); without a listener it would end the process.
  const onError = () => undefined;
  const onExit = () => { early.exited = true; };
  worker.on('message', onMessage).on('error', onError).on('exit', onExit).unref();
  early.stop = () => void worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  (globalThis as Record<symbol, unknown>)[Symbol.for('djc.worker.earlySpare')] = early;
}
