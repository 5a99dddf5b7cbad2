/**
 * `pnpm build`'s second step (after `tsc -b`): bundles the `djc` command's
 * process (packages/cli/dist/main.js and everything it imports, lazily
 * imported commands as separate chunks) into packages/cli/dist/bundle/,
 * which dist/bin.js loads. Resolving and reading ~200-570 small module
 * files was most of a read's or a submit's start-up (issue 14; see
 * docs/benchmarks.md, CLI read latency).
 *
 * djc finds files next to its modules (the worker's bin.js, handler threads,
 * the module-probe child, the dashboard, the report template, SQLite drivers
 * through createRequire, the CLI's package.json). So every bundled file's
 * `import.meta.url` is rewritten to the URL of the file it came from,
 * relative to the bundle: those look-ups land on the unbundled dist files,
 * which stay the entry points of the worker, the handler threads and the
 * children. Packages that load files or native code by path at run time
 * (better-sqlite3, the AWS SDK, tsx, pino's transports, OpenTelemetry) stay
 * outside the bundle and load from node_modules as before.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_DIST = join(ROOT, 'packages', 'cli', 'dist');
const OUT = join(CLI_DIST, 'bundle');

/** Loaded from node_modules at run time, never bundled (package names; subpaths too). */
const EXTERNAL = /^(better-sqlite3|@aws-sdk\/[^/]+|@smithy\/[^/]+|tsx|pino|@opentelemetry\/[^/]+)(\/.*)?$/;

/**
 * An external package is imported by its resolved file, relative to the
 * bundle: the CLI package's node_modules does not hold its dependencies'
 * dependencies (pnpm), so a bare name would not resolve from dist/bundle/.
 */
const externals = {
  name: 'externals-by-path',
  setup(b) {
    b.onResolve({ filter: EXTERNAL }, async (args) => {
      if (args.pluginData === 'externals-by-path') return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'externals-by-path' });
      if (found.errors.length > 0) return { errors: found.errors };
      const rel = relative(OUT, found.path).split(sep).join('/');
      return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
    });
  },
};

/** `import.meta.url` in a bundled file means the file it came from (relative to the bundle, so the tree can move). */
const fileUrls = {
  name: 'file-urls',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      // Those would name the bundle's directory: say so at build time rather than find the wrong file at run time.
      const other = /import\.meta\.(dirname|filename)\b/.exec(text);
      if (other) return { errors: [{ text: `${relative(ROOT, args.path)}: import.meta.${other[1]} in a module bundled into the djc CLI; use new URL('…', import.meta.url), which the bundle keeps per module` }] };
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(OUT, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: ROOT,
  metafile: true,
  entryPoints: { main: join(CLI_DIST, 'main.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Error and class names stay as written (messages and `name` checks use them).
  keepNames: true,
  // CommonJS dependencies bundled into ESM call require() for Node's built-ins.
  banner: { js: "import { createRequire as __djcCreateRequire } from 'node:module'; const require = __djcCreateRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  plugins: [externals, fileUrls],
});
// Which source modules each chunk holds (packages/cli/test/start-up-imports.test.ts reads it).
await writeFile(join(OUT, 'meta.json'), JSON.stringify({ outputs: Object.fromEntries(Object.entries(metafile.outputs).map(([out, o]) => [out, { bytes: o.bytes, inputs: Object.keys(o.inputs) }])) }));
