import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { suggest } from '../config/describe.js';
import { DjcError } from '../errors.js';

const TS = /\.(ts|mts|cts|tsx)$/;
const cache = new Map<string, Promise<Record<string, unknown>>>();

/** A user module's namespace, as handlers and reducers see it. */
export type ModuleNamespace = Record<string, unknown>;

/** Splits "/abs/file.ts#name" into file and export name ("default" if none). */
export function parseModuleRef(ref: string): { file: string; exportName: string } {
  const hash = ref.lastIndexOf('#');
  return hash < 0 ? { file: ref, exportName: 'default' } : { file: ref.slice(0, hash), exportName: ref.slice(hash + 1) };
}

/**
 * Imports a function from a user's module. TypeScript files load through
 * tsx, so users need no build step. `what` names the YAML key in errors.
 */
export async function importUserFunction(ref: string, what: string): Promise<(...args: unknown[]) => unknown> {
  const { file, exportName } = parseModuleRef(ref);
  if (!existsSync(file)) {
    throw new DjcError('CONFIG_INVALID', `${what}: module ${file} does not exist`, { hint: 'fix the path (relative to the job YAML file)' });
  }
  let ns: ModuleNamespace;
  try {
    ns = await importUserModule(file);
  } catch (e) {
    throw new DjcError('CONFIG_INVALID', `${what}: cannot load ${file}: ${(e as Error).message}`, { cause: e });
  }
  const found = findExport(ns, exportName);
  if (typeof found !== 'function') {
    const problem = missingExport(ns, exportName, found);
    throw new DjcError('CONFIG_INVALID', `${what}: ${file} ${problem.message}`, { hint: problem.hint });
  }
  return found as (...args: unknown[]) => unknown;
}

/** Imports a user's module (once per process; a failed import is tried again next time). */
export async function importUserModule(file: string): Promise<ModuleNamespace> {
  let mod = cache.get(file);
  if (!mod) {
    mod = loadModule(file);
    cache.set(file, mod);
  }
  try {
    return await mod;
  } catch (e) {
    cache.delete(file);
    throw e;
  }
}

/** The export `name` of a module; a CommonJS or tsx-compiled module may nest its exports under `default`. */
export function findExport(ns: ModuleNamespace, name: string): unknown {
  if (ns[name] !== undefined) return ns[name];
  const nested = ns.default as ModuleNamespace | undefined;
  return nested !== null && typeof nested === 'object' ? nested[name] : undefined;
}

/** Names of the functions a module exports (nested CommonJS exports included), sorted. */
export function exportedFunctions(ns: ModuleNamespace): string[] {
  const names = new Set(Object.keys(ns).filter((k) => typeof ns[k] === 'function'));
  const nested = ns.default;
  if (nested !== null && typeof nested === 'object') {
    for (const [k, v] of Object.entries(nested as ModuleNamespace)) if (typeof v === 'function') names.add(k);
  }
  return [...names].sort();
}

/**
 * Why `name` is not a function of the module: `has no exported function
 * "mrege" (did you mean "merge"?)` or `exports "x" as a number, not a
 * function`, with the functions it does export as the hint.
 */
export function missingExport(ns: ModuleNamespace, name: string, found: unknown): { message: string; hint: string } {
  const names = exportedFunctions(ns);
  const hint = names.length ? `exported functions: ${names.join(', ')}` : 'export an async function from the module';
  if (found !== undefined) {
    const type = found === null ? 'null' : Array.isArray(found) ? 'an array' : `a ${typeof found}`;
    return { message: `exports "${name}" as ${type}, not a function`, hint };
  }
  const guess = suggest(name, names);
  return { message: `has no exported function "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, hint };
}

async function loadModule(file: string): Promise<ModuleNamespace> {
  // Node 22+ reads an ES module's source synchronously, on the main thread: a
  // file whose read never returns (a FIFO, a hung network mount) would freeze
  // the process, signal handlers included. Read it asynchronously first, so
  // such a read blocks a thread-pool thread and Ctrl-C still works.
  await readFile(file);
  const url = pathToFileURL(file).href;
  if (TS.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as ModuleNamespace;
  }
  return (await import(url)) as ModuleNamespace;
}
