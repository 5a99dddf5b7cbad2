/**
 * What `djc --version`, `djc status` and `djc tasks` load (issue 14): each
 * command's module is imported when it runs, and the read commands take the
 * light entry points (`@djc/core/read`, `@djc/coordinator/read`), never the
 * packages' indexes, the worker or the config loader. A module-load hook
 * (NODE_OPTIONS=--import) lists every file the CLI process loads; the CLI
 * runs from bundle chunks (scripts/bundle-cli.mjs), so each loaded chunk
 * stands for the source modules the bundle's meta.json lists for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

/**
 * Runs djc with a hook that writes every loaded module's URL to a file; returns the result and those URLs.
 * The hook is in NODE_OPTIONS, which the processes djc starts (workers, the module probe) inherit: only the
 * CLI's own process (argv[1] the CLI's bin.js) registers it.
 */
async function traced(args: string[], env: Record<string, string> = {}) {
  const log = join(box.dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = join(box.dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
  const register = join(box.dir, 'register.mjs');
  // Node's own modules taken without an ESM import (process.getBuiltinModule, require) pass no hook: process.moduleLoadList names them.
  const builtinLog = `${log}.builtins`;
  writeFileSync(register, `import { register } from 'node:module';\nconst { writeFileSync } = process.getBuiltinModule('node:fs');\nif (/[\\\\/]cli[\\\\/]dist[\\\\/]bin\\.js$/.test(process.argv[1] ?? '')) {\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\nprocess.on('exit', () => writeFileSync(${JSON.stringify(builtinLog)}, process.moduleLoadList.join('\\n')));\n}\n`);
  writeFileSync(log, '');
  const r = await djc(args, { cwd: box.dir, home: box.home, env: { ...env, NODE_OPTIONS: `--import=${pathToFileURL(register).href}` } });
  const files = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const builtins = readFileSync(builtinLog, 'utf8').split('\n').filter((l) => l.startsWith('NativeModule ')).map((l) => l.slice('NativeModule '.length));
  return { ...r, files, loaded: files.flatMap(sources), builtins };
}

const BUNDLE = join(import.meta.dirname, '..', 'dist', 'bundle');
const chunks = (JSON.parse(readFileSync(join(BUNDLE, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: string[] }> }).outputs;

/** A loaded file's source modules: a bundle chunk's inputs (paths from the repository's root), or the file itself. */
function sources(url: string): string[] {
  const chunk = Object.entries(chunks).find(([out]) => url.endsWith(`/${out}`));
  return chunk ? chunk[1].inputs.map((i) => `/${i}`) : [url];
}

const HEAVY = [/\/packages\/core\/dist\/index\.js$/, /\/packages\/coordinator\/dist\/index\.js$/, /\/packages\/worker\/dist\//, /\/core\/dist\/config\/load\.js$/, /\/core\/dist\/partition\//, /execa/];
const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((re) => re.test(u)));
/**
 * Node modules a read never uses, each a few ms to load: crypto (ids are drawn only by writes),
 * child_process (commander's executable subcommands), and the Web Crypto API, which an ESM
 * import of node:crypto loads through its namespace's getters. The bundle takes built-ins with
 * process.getBuiltinModule (scripts/bundle-cli.mjs). (net and readline load anyway: stdout is
 * a pipe here, and node:fs/promises, which reads use, needs readline.)
 */
const HEAVY_BUILTINS = ['crypto', 'child_process', 'internal/crypto/webcrypto'];
const heavyBuiltins = (names: string[]) => names.filter((n) => HEAVY_BUILTINS.includes(n));

describe('start-up imports', () => {
  it('--version loads neither the core index nor zod; status and tasks load no index, worker, job-file loader or zod', async () => {
    const version = await traced(['--version']);
    expect([version.code, version.stdout.trim()], version.stderr).toEqual([0, '0.1.0']);
    // bin.js answers --version alone, before the program loads.
    expect(version.files.filter((u) => u.includes('/cli/dist/bundle/')), '--version loads no bundle chunk').toEqual([]);
    expect([...heavy(version.loaded), ...version.loaded.filter((u) => /zod|pino/.test(u))]).toEqual([]);
    expect(heavyBuiltins(version.builtins), 'Node modules --version loads').toEqual([]);

    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: imports\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\n');
    const ran = await djc(['run', 'job.yaml'], { cwd: box.dir, home: box.home });
    expect(ran.code, ran.stderr).toBe(0);

    const status = await traced(['status', 'last']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.files.some((u) => u.endsWith('/cli/dist/bundle/main.js')), 'the CLI ran from its bundle').toBe(true);
    expect(status.loaded.some((u) => u.endsWith('/cli/dist/main.js')), 'the bundle holds the CLI').toBe(true);
    expect(status.stdout).toMatch(/status +SUCCEEDED/);
    expect(status.stdout).toContain('2 total: 2 succeeded');
    expect(heavy(status.loaded)).toEqual([]);
    // The local backend's token and cache-entry rows are checked without zod; the queue document's schema loads only to parse one.
    expect(status.loaded.filter((u) => /\/zod\//.test(u))).toEqual([]);
    expect(heavyBuiltins(status.builtins), 'Node modules status loads').toEqual([]);

    const tasks = await traced(['--json', 'tasks', 'last', '--limit', '20']);
    expect(tasks.code, tasks.stderr).toBe(0);
    expect((JSON.parse(tasks.stdout) as { tasks: { status: string }[] }).tasks.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(heavy(tasks.loaded)).toEqual([]);
    expect(tasks.loaded.filter((u) => /\/zod\//.test(u))).toEqual([]);
    expect(heavyBuiltins(tasks.builtins), 'Node modules tasks loads').toEqual([]);
  });

  it('a read that logs nothing never loads pino; --verbose, which logs, does', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: quiet\ninput: { path: in.jsonl }\nhandler: { command: cat }\n');
    const ran = await djc(['run', 'job.yaml'], { cwd: box.dir, home: box.home });
    expect(ran.code, ran.stderr).toBe(0);
    // pino is CommonJS, loaded with require: NODE_DEBUG=module names each require on stderr. `pnpm build` bundles
    // it into one file beside core's logger (scripts/bundle-cli.mjs): its ~20 files from node_modules one by one
    // were ~10 ms of CPU of every process that logs (every worker).
    const pinoFiles = (stderr: string) => stderr.split('\n').filter((l) => l.includes('Module._load REQUEST') && /\/node_modules\/(\.pnpm\/)?pino[@/]|\/core\/dist\/pino-bundle\.cjs/.test(l));
    const quiet = await djc(['status', 'last'], { cwd: box.dir, home: box.home, env: { NODE_DEBUG: 'module' } });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/status +SUCCEEDED/);
    expect(pinoFiles(quiet.stderr)).toEqual([]);
    const verbose = await djc(['--verbose', 'status', 'last'], { cwd: box.dir, home: box.home, env: { NODE_DEBUG: 'module' } });
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toContain('"msg":"state home"');
    const loaded = pinoFiles(verbose.stderr);
    expect(loaded.some((l) => l.includes('REQUEST /') && l.endsWith('/core/dist/logger.js') && l.includes('/core/dist/pino-bundle.cjs')), loaded.join('\n')).toBe(true);
    expect(loaded.filter((l) => /\/node_modules\/(\.pnpm\/)?pino[@/]/.test(l)), 'pino\'s own files').toEqual([]);
  });

  it('submit loads neither the coordinator index (daemon, dispatchers, execa) nor the worker; a valid job file is checked without zod', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'h.mjs'), 'export async function h(records) { return records.length; }\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: light\ninput: { path: in.jsonl }\nhandler: { module: ./h.mjs#h }\n');
    const sub = await traced(['submit', 'job.yaml']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.loaded.some((u) => u.endsWith('/coordinator/dist/submit-workflow.js')), 'the bundle ran the submit').toBe(true);
    expect(sub.loaded.filter((u) => /\/coordinator\/dist\/(index|daemon|coordinate-job)\.js$|\/worker\/dist\/|execa/.test(u))).toEqual([]);
    // The job file's config is checked by hand (config/fast-check.ts): zod, the config schema and the core index load only to explain a bad one.
    expect(sub.loaded.filter((u) => /\/zod\/|\/core\/dist\/(index|config\/schema)\.js$|\/core\/dist\/partition\//.test(u))).toEqual([]);
    writeFileSync(join(box.dir, 'bad.yaml'), 'name: light\ninput: { path: in.jsonl, batch: { records: -1 } }\nhandler: { module: ./h.mjs#h }\n');
    const bad = await traced(['submit', 'bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.yaml:2:');
    expect(bad.stderr).toContain('input.batch.records: expected');
    expect(bad.loaded.some((u) => /\/zod\//.test(u)), 'zod explained the bad file').toBe(true);
  });

  it('run loads neither execa, tinyglobby nor es-module-lexer, nor the worker package (its workers are other processes), nor zod for a valid job file', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n');
    writeFileSync(join(box.dir, 'h.mjs'), 'export async function h(records) { return records; }\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: runs\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { module: ./h.mjs#h }\ncompute: { workers: 1 }\n');
    const ran = await traced(['run', 'job.yaml']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/SUCCEEDED .*2 succeeded/);
    expect(ran.loaded.some((u) => u.endsWith('/coordinator/dist/coordinate-job.js')), 'the bundle coordinated the job').toBe(true);
    // Slurm's commands (execa), glob patterns (tinyglobby, picomatch), a pipeline cache key's import scan (es-module-lexer, which
    // compiles WebAssembly as it loads) and the worker's own modules load only where used; the coordinator reads workers' logs with log-delta.
    expect(ran.loaded.filter((u) => /execa|tinyglobby|picomatch|es-module-lexer|\/worker\/dist\/(?!handlers\/log-(delta|buffer)\.js$)/.test(u))).toEqual([]);
    // A valid job file is checked by hand (config/fast-check.ts) and the schemas are @djc/core/schemas': no zod (~30 ms of CPU).
    expect(ran.loaded.filter((u) => /\/zod\/|\/core\/dist\/(config\/(schema|daemon-settings|speculate-setting)|pipeline\/(schema|cache-components))\.js$/.test(u))).toEqual([]);
    writeFileSync(join(box.dir, 'bad.yaml'), 'name: runs\ninput: { path: in.jsonl, batch: { records: -1 } }\nhandler: { module: ./h.mjs#h }\n');
    const bad = await traced(['run', 'bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('input.batch.records: expected');
    expect(bad.loaded.some((u) => /\/zod\//.test(u)), 'zod explained the bad file').toBe(true);
  });

  it('a remote read (DJC_URL) opens no backend: neither the local backend nor backend selection is loaded', async () => {
    const remote = await traced(['status', 'some-job'], { DJC_URL: 'http://127.0.0.1:1', DJC_TOKEN: 'no-such-token' });
    expect([remote.code, remote.stdout], remote.stderr).toEqual([3, '']);
    expect(remote.stderr).toContain('DJC_URL=http://127.0.0.1:1');
    expect(remote.loaded.some((u) => u.endsWith('/cli/dist/remote/remote-job-service.js')), 'the bundle ran the remote reader').toBe(true);
    expect(remote.loaded.filter((u) => /\/core\/dist\/backends\/(local\/|open\.js$)/.test(u))).toEqual([]);
  });
});
