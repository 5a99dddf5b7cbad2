#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+): a worker process, started
// once per worker of every job, skips most of the parsing and compiling.
// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
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
