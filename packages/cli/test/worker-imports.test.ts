/**
 * What a worker process and its handler thread load (issue 14): the worker
 * takes `@djc/core/worker` and `@djc/core/backends`, its handler thread
 * `@djc/core/thread`, never core's index (zod, yaml and the planner with it):
 * every worker process of every job, and every handler thread, paid that at
 * its start (~290 modules, ~150-250 ms of CPU). A module-load hook
 * (NODE_OPTIONS=--import, which workers and their threads inherit) writes
 * the files each process and thread loads. The worker process runs from its
 * bundle (scripts/bundle-cli.mjs: ~140 dist modules were ~100 ms of CPU of
 * every worker's start), its handler thread from the thread's bundle (~40
 * dist modules, ~10-15 ms of every thread's start): a loaded chunk stands for
 * the source modules its bundle's meta.json lists for it.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

const WORKER_DIST = join(import.meta.dirname, '..', '..', 'worker', 'dist');
/** Output file (from the repository's root) -> its source modules, of the worker's and the handler thread's bundles. */
const chunks = Object.fromEntries(['bundle', 'thread-bundle'].flatMap((dir) => Object.entries(
  (JSON.parse(readFileSync(join(WORKER_DIST, dir, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: string[] }> }).outputs,
)));
/** A loaded file's source modules: a bundle chunk's inputs (paths from the repository's root), or the file itself. */
function sources(url: string): string[] {
  const chunk = Object.entries(chunks).find(([out]) => url.endsWith(`/${out}`));
  return chunk ? chunk[1].inputs.map((i) => `/${i}`) : [url];
}
/** djc's own dist files among what a process or thread loaded, but those of `bundle` (its directory under worker/dist). */
const unbundled = (urls: string[], bundle: string, entry: string) => urls
  .filter((u) => /\/packages\/(core|worker)\/dist\//.test(u))
  .filter((u) => !u.includes(`/worker/dist/${bundle}/`) && !u.endsWith(entry) && !u.endsWith('/core/dist/pino-bundle.cjs'));

describe('worker start-up imports', () => {
  it('a worker process and its handler thread load neither core\'s index nor zod or yaml', async () => {
    const logs = join(box.dir, 'loaded');
    mkdirSync(logs);
    const hook = join(box.dir, 'hook.mjs');
    writeFileSync(hook, [
      "import { registerHooks } from 'node:module';",
      "import { appendFileSync } from 'node:fs';",
      "import { isMainThread } from 'node:worker_threads';",
      `const log = ${JSON.stringify(logs)} + '/' + process.pid + (isMainThread ? '' : '-thread') + '.txt';`,
      'registerHooks({ load(url, context, next) { appendFileSync(log, url + "\\n"); return next(url, context); } });',
      // Where a thread starts, in the same list: "thread <its entry>".
      "const threads = process.getBuiltinModule('node:worker_threads');",
      'const { Worker } = threads;',
      'if (isMainThread) threads.Worker = class extends Worker { constructor(entry, o) { appendFileSync(log, "thread " + String(entry) + "\\n"); super(entry, o); } };',
      '',
    ].join('\n'));
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n');
    writeFileSync(join(box.dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: imports\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { module: ./noop.mjs#noop }\n');
    const ran = await djc(['run', 'job.yaml'], { cwd: box.dir, home: box.home, env: { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` } });
    expect(ran.code, ran.stderr).toBe(0);

    const files = Object.fromEntries(readdirSync(logs).map((f) => [f, readFileSync(join(logs, f), 'utf8').split('\n').filter(Boolean)]));
    // Loaded files only (not the "thread <entry>" lines).
    const loaded = Object.fromEntries(Object.entries(files).map(([f, urls]) => [f, urls.filter((u) => !u.startsWith('thread ')).flatMap(sources)]));
    const workers = Object.entries(loaded).filter(([, urls]) => urls.some((u) => u.endsWith('/worker/dist/main.js')));
    const threads = Object.entries(loaded).filter(([, urls]) => urls.some((u) => u.endsWith('/worker/dist/handlers/module-thread.js')));
    expect(workers.length, Object.keys(loaded).join(' ')).toBeGreaterThan(0);
    expect(threads.length, Object.keys(loaded).join(' ')).toBeGreaterThan(0);
    const heavy = (urls: string[]) => urls.filter((u) => /\/core\/dist\/index\.js$/.test(u) || /\/node_modules\/(\.pnpm\/)?(zod|yaml)[@/]/.test(u));
    for (const [file, urls] of [...workers, ...threads]) expect(heavy(urls), file).toEqual([]);
    // A worker process runs from its bundle, not from djc's dist modules one by one (pino, which it logs with,
    // from its own bundled file beside core's logger).
    for (const [file] of workers) {
      const urls = files[file]!.filter((u) => !u.startsWith('thread '));
      expect(unbundled(urls, 'bundle', '/worker/dist/bin.js'), file).toEqual([]);
      expect(urls.some((u) => u.endsWith('/worker/dist/bundle/bin-main.js')), file).toBe(true);
      // djc run's workers are warm ones: the spare handler thread starts before the worker's code loads (bin.ts),
      // from the thread's bundle, and it is the only thread (the job adopts it).
      const started = files[file]!.filter((u) => u.startsWith('thread '));
      expect(started, file).toEqual([expect.stringMatching(/\/worker\/dist\/thread-bundle\/module-thread\.js$/)]);
      expect(files[file]!.indexOf(started[0]!), file).toBeLessThan(files[file]!.findIndex((u) => u.endsWith('/worker/dist/bundle/bin-main.js')));
    }
    // A handler thread runs from its own bundle too (pooled-thread.ts's threadEntry), not module-thread.js's dist modules.
    for (const [file] of threads) {
      expect(unbundled(files[file]!, 'thread-bundle', '/worker/dist/thread-bundle/module-thread.js'), file).toEqual([]);
      expect(files[file]!.some((u) => u.endsWith('/worker/dist/thread-bundle/module-thread.js')), file).toBe(true);
    }
  });
});
