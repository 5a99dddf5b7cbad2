#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+), so every later start skips
// most of the parsing and compiling of djc and its dependencies.
// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// `djc --version` alone (scripts and CI check it often) is answered here,
// as the program would answer it, without loading the command line program.
const [only, ...rest] = process.argv.slice(2);
if ((only === '--version' || only === '-V') && rest.length === 0) {
  const { readFileSync, writeSync } = process.getBuiltinModule('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  writeSync(1, `${pkg.version}\n`);
  process.exit(0);
}
// The command runs from one bundled file per entry (scripts/bundle-cli.mjs,
// `pnpm build`'s second step): far fewer files to resolve and read at each
// start. A specifier in a variable: tsc does not see the bundle, esbuild writes it.
const bundled = new URL('./bundle/main.js', import.meta.url);
try {
  await import(bundled.href);
} catch (e) {
  const err = e as { code?: string; url?: string; message?: string };
  const missing = err.code === 'ERR_MODULE_NOT_FOUND' && (err.url === bundled.href || String(err.message).startsWith(`Cannot find module '${bundled.pathname}'`));
  if (!missing) throw e;
  process.stderr.write(`djc: the CLI bundle (${bundled.pathname}) is missing: build djc with \`pnpm build\` (tsc -b alone does not write it)\n`);
  process.exit(70);
}
