#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+), so every later start skips
// most of the parsing and compiling of djc and its dependencies.
// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// The command runs from one bundled file per entry (scripts/bundle-cli.mjs,
// `pnpm build`'s second step): far fewer files to resolve and read at each
// start. A specifier in a variable: tsc does not see the bundle, esbuild writes it.
const bundled = './bundle/main.js';
try {
  await import(bundled);
} catch (e) {
  if ((e as { code?: string; url?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !String((e as Error).message).includes('/dist/bundle/main.js')) throw e;
  process.stderr.write('djc: the CLI bundle (packages/cli/dist/bundle/main.js) is missing: build djc with `pnpm build` (tsc -b alone does not write it)\n');
  process.exit(70);
}
