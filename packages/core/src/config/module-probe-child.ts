/**
 * Child process of `probeModules`: imports each module the parent names
 * (argv[2]: a JSON list of "/abs/file.ts#export" refs) the way a worker
 * does, and reports each outcome over IPC as soon as it is known, so that
 * a module that hangs while loading still lets the others be reported.
 * Whatever the modules print goes to pipes the parent reads, never to the
 * user's stdout. Exits once done, even if a module left timers or sockets
 * open.
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { findExport, importUserModule, missingExport, parseModuleRef } from '../util/import-module.js';
import type { ProbeReport } from './module-probe.js';

/**
 * Every file loaded from here on (ESM and require alike), reported with an
 * 'ok' so that the parent can remember the ref while they stay unchanged
 * (module-probe-cache.ts). Without module.registerHooks (older Node 22) the
 * list stays unset and nothing is remembered.
 */
let loaded: Set<string> | undefined;
if (typeof module.registerHooks === 'function') {
  const files = new Set<string>();
  module.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) files.add(fileURLToPath(url));
      return nextLoad(url, context);
    },
  });
  loaded = files;
}

/**
 * The environment variables read from here on ('*' once anything enumerated
 * them), reported with an 'ok': a remembered ref is then re-probed only when
 * one of THOSE changes, not any variable (a CI sets per-run ones). Through
 * `process.env`, `import { env } from 'node:process'` and `require('process')`
 * alike (the builtin's exports are re-synced to the proxy). Reads by Node's
 * own C++ (NODE_OPTIONS…) are not seen: the cache adds every NODE_* itself.
 */
let envRead: Set<string> | '*' = new Set();
const note = (k: string | symbol): void => {
  if (typeof k === 'string' && envRead !== '*') envRead.add(k);
};
process.env = new Proxy(process.env, {
  get: (t, k) => (note(k), Reflect.get(t, k)),
  has: (t, k) => (note(k), Reflect.has(t, k)),
  getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
  ownKeys: (t) => ((envRead = '*'), Reflect.ownKeys(t)),
  set: (t, k, v) => ((t as Record<string | symbol, unknown>)[k] = v, true),
});
module.syncBuiltinESMExports();

const send = (report: ProbeReport): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(report, undefined, undefined, () => resolve());
  });

const LOAD_ERROR_CHARS = 600;

/** "SyntaxError: Unexpected token (at count.ts:3:7)": the error and where in the user's file it was raised. */
function describeLoadError(e: unknown, file: string): string {
  if (!(e instanceof Error)) return String(e).slice(0, LOAD_ERROR_CHARS);
  // One line: a config issue is one line of `djc validate`'s output.
  const text = `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`.trim().replace(/\s*\n\s*/g, ' ');
  const short = text.length > LOAD_ERROR_CHARS ? `${text.slice(0, LOAD_ERROR_CHARS)}…` : text;
  const base = file.slice(file.lastIndexOf('/') + 1);
  const frame = (e.stack ?? '').split('\n').slice(1).find((l) => l.includes(file));
  const at = frame ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  return at && !short.includes(`${base}:`) ? `${short} (at ${base}:${at[1]}:${at[2]})` : short;
}

async function main(): Promise<void> {
  const refs = JSON.parse(process.argv[2] ?? '[]') as string[];
  for (const ref of refs) {
    const { file, exportName } = parseModuleRef(ref);
    await send({ ref, status: 'loading' });
    try {
      const ns = await importUserModule(file);
      const found = findExport(ns, exportName);
      await send(typeof found === 'function' ? { ref, status: 'ok', ...(loaded ? { files: [...loaded], env: envRead === '*' ? '*' : [...envRead] } : {}) } : { ref, status: 'missing', ...missingExport(ns, exportName, found) });
    } catch (e) {
      await send({ ref, status: 'failed', message: `cannot be loaded: ${describeLoadError(e, file)}` });
    }
  }
}

// The parent went away (Ctrl-C on validate): this process is in its own group, so nothing else would stop it.
process.on('disconnect', () => process.exit(0));
void main().finally(() => process.exit(0));
