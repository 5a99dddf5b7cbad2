/**
 * `pnpm build`'s second step (after `tsc -b`): bundles the `djc` command's
 * process (packages/cli/dist/main.js and everything it imports, lazily
 * imported commands as separate chunks) into packages/cli/dist/bundle/,
 * which dist/bin.js loads; and the worker process (djc-worker:
 * packages/worker/dist/bin-main.js) into packages/worker/dist/bundle/, which
 * the worker's dist/bin.js loads. Resolving and reading ~200-570 small module
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
 * outside the bundle and load from node_modules as before; pino, loaded
 * only when a logger first logs, gets a bundle of its own (bundlePino).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_DIST = join(ROOT, 'packages', 'cli', 'dist');
const WORKER_DIST = join(ROOT, 'packages', 'worker', 'dist');
const CORE_DIST = join(ROOT, 'packages', 'core', 'dist');

/** Loaded from node_modules at run time, never bundled (package names; subpaths too). */
const EXTERNAL = /^(better-sqlite3|@aws-sdk\/[^/]+|@smithy\/[^/]+|tsx|pino|@opentelemetry\/[^/]+)(\/.*)?$/;

/**
 * An external package is imported by its resolved file, relative to the
 * bundle: the CLI package's node_modules does not hold its dependencies'
 * dependencies (pnpm), so a bare name would not resolve from dist/bundle/.
 */
const externals = (OUT) => ({
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
});

/** `import.meta.url` in a bundled file means the file it came from (relative to the bundle, so the tree can move). */
const fileUrls = (OUT) => ({
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
});

/**
 * commander requires node:child_process when it loads, which loads net,
 * dgram and Node's streams (~4-6 ms of every djc start), for executable
 * subcommands, which djc has none of: it is required at the first use instead.
 */
const commanderLazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[/\\]commander[/\\]lib[/\\]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) return { errors: [{ text: `${relative(ROOT, args.path)}: no \`${eager}\` to make lazy (commander changed: update scripts/bundle-cli.mjs)` }] };
      return { contents: text.replace(eager, "const childProcess = { get spawn() { return require('node:child_process').spawn; } };"), loader: 'js' };
    });
  },
};

/** `import { a, b as c } from "node:x";` (also `import x from`, `import * as x from`), as esbuild writes a built-in's import. */
const BUILTIN_IMPORT = /^import\s+(?:(\w+)|\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+"(node:[\w/]+)";$/gm;

/**
 * An ESM `import … from 'node:fs'` makes Node build that module's ESM
 * namespace, which reads every export, lazy getters included: `fs.promises`
 * loads fs/promises and readline, `fs.ReadStream` Node's streams,
 * `crypto.webcrypto` the Web Crypto API (node:fs alone: ~5-8 ms of a start,
 * against < 1 ms for require). In the bundle each such import becomes a
 * `process.getBuiltinModule` call (what `require` returns: nothing runs until
 * used). A built-in is a leaf module, so taking it while the chunk's body
 * starts instead of before changes nothing else.
 */
function builtinsWithoutNamespace(text, file) {
  const declared = new Set();
  const out = text.replace(BUILTIN_IMPORT, (_, def, star, names, spec) => {
    const mod = `process.getBuiltinModule(${JSON.stringify(spec)})`;
    if (def || star) return `const ${def || star} = ${mod};`;
    const eager = [];
    const lines = [];
    for (const n of names.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [name, alias = name] = n.split(/\s+as\s+/);
      if (name === 'default') lines.push(`const ${alias} = ${mod};`);
      else if (lazyFunction(spec, name)) lines.push(`const ${alias} = (...a) => (${lazyVar(spec)} ??= ${mod}).${name}(...a);`);
      else eager.push(alias === name ? name : `${name}: ${alias}`);
    }
    if (lines.some((l) => l.includes(lazyVar(spec))) && !declared.has(spec)) {
      declared.add(spec);
      lines.unshift(`let ${lazyVar(spec)};`);
    }
    if (eager.length > 0) lines.unshift(`const { ${eager.join(', ')} } = ${mod};`);
    return lines.join(' ');
  });
  const left = /^import\b[^;]*from\s+"node:[^"]+";$/m.exec(out);
  if (left) throw new Error(`${file}: a built-in import the bundle step does not rewrite: ${left[0]}`);
  return out;
}

/**
 * Built-ins costly to load that most commands never call: their plain
 * functions (randomUUID, randomBytes…) load the module at the first call.
 * node:crypto: ~8 ms (OpenSSL set-up, 25 internal modules) of every read
 * that opens the local backend, which only draws ids when it writes.
 * Classes and values (a capitalised name, or not a function) stay eager.
 */
const LAZY_BUILTINS = new Set(['node:crypto']);
const lazyVar = (spec) => `__djcLazy_${spec.replace(/\W/g, '_')}`;
function lazyFunction(spec, name) {
  if (!LAZY_BUILTINS.has(spec) || /^[A-Z]/.test(name)) return false;
  return typeof process.getBuiltinModule(spec)[name] === 'function';
}

/**
 * CommonJS dependencies bundled into ESM call require() (esbuild's __require
 * in its runtime chunk) for Node's built-ins: a chunk that names `require`
 * gets one, made for its own URL (all chunks share a directory). The others
 * skip a createRequire (~0.15 ms per chunk: a read loads ~30 chunks).
 */
const withRequire = (text) => (/\brequire\b/.test(text) ? `const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);\n${text}` : text);

/** Bundles `entry` (a dist file) as `<out>/<name>.js` with its chunks and meta.json. */
async function bundle(name, entry, OUT, more = []) {
  await rm(OUT, { recursive: true, force: true });
  const { metafile, outputFiles } = await build({
    absWorkingDir: ROOT,
    metafile: true,
    entryPoints: { [name]: entry },
    outdir: OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Error and class names stay as written (messages and `name` checks use them).
    keepNames: true,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
    plugins: [externals(OUT), ...more, fileUrls(OUT)],
    write: false,
  });
  await mkdir(OUT, { recursive: true });
  for (const f of outputFiles) {
    if (!f.path.endsWith('.js')) {
      await writeFile(f.path, f.contents);
      continue;
    }
    const text = withRequire(builtinsWithoutNamespace(f.text, relative(ROOT, f.path)));
    // The rewrite is text: esbuild parses the result, so a mistake fails the build, not a command.
    await transform(text, { format: 'esm', loader: 'js', platform: 'node' });
    await writeFile(f.path, text);
  }
  // Which source modules each chunk holds (packages/cli/test/start-up-imports.test.ts and worker-imports.test.ts read it).
  await writeFile(join(OUT, 'meta.json'), JSON.stringify({ outputs: Object.fromEntries(Object.entries(metafile.outputs).map(([out, o]) => [out, { bytes: o.bytes, inputs: Object.keys(o.inputs) }])) }));
}

await bundle('main', join(CLI_DIST, 'main.js'), join(CLI_DIST, 'bundle'), [commanderLazyChildProcess]);
// The worker process (djc-worker: every local worker of every job, Slurm's, warm ones): its ~140 dist
// modules were ~100 ms of CPU of each worker's start, ~35 ms as one bundle. The checkpointer child
// still runs its dist file (the bundle's import.meta.url names it).
await bundle('bin-main', join(WORKER_DIST, 'bin-main.js'), join(WORKER_DIST, 'bundle'));
// A handler thread (every module job's, on the way to its first attempt; pooled-thread.ts's threadEntry
// starts it from here when it exists): its ~40 dist modules were ~25 ms of its start, ~12 bundled.
await bundle('module-thread', join(WORKER_DIST, 'handlers', 'module-thread.js'), join(WORKER_DIST, 'thread-bundle'));

/**
 * pino, the loggers' library, as one CommonJS file beside core's logger
 * (packages/core/dist/pino-bundle.cjs), which core/dist/logger.js requires
 * when a logger first logs, and pino from node_modules when the file is
 * missing (`tsc -b` alone). It stays out of the bundles above (a read that
 * logs nothing never loads it), but resolving and reading its ~20 files one by
 * one was ~10 ms of CPU of every process that logs: every worker, `djc run`.
 * Only pino's transports (pino.transport(), which djc does not use) find
 * files by path, and would look for them beside this file.
 */
async function bundlePino() {
  const entry = createRequire(join(CORE_DIST, 'logger.js')).resolve('pino');
  await build({ entryPoints: [entry], outfile: join(CORE_DIST, 'pino-bundle.cjs'), bundle: true, format: 'cjs', platform: 'node', target: 'node22', keepNames: true, logLevel: 'warning' });
}
await bundlePino();
