import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DjcError } from '../errors.js';

const TS = /\.(ts|mts|cts|tsx)$/;
const cache = new Map<string, Promise<Record<string, unknown>>>();

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
  let mod = cache.get(file);
  if (!mod) {
    mod = loadModule(file);
    cache.set(file, mod);
  }
  let ns: Record<string, unknown>;
  try {
    ns = await mod;
  } catch (e) {
    cache.delete(file);
    throw new DjcError('CONFIG_INVALID', `${what}: cannot load ${file}: ${(e as Error).message}`, { cause: e });
  }
  // A CommonJS or tsx-compiled module may nest its exports under `default`.
  const nested = ns.default as Record<string, unknown> | undefined;
  const fn = ns[exportName] ?? (nested && typeof nested === 'object' ? nested[exportName] : undefined);
  if (typeof fn !== 'function') {
    const names = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
    throw new DjcError('CONFIG_INVALID', `${what}: ${file} has no exported function "${exportName}"`, {
      hint: names.length ? `exported functions: ${names.join(', ')}` : 'export an async function from the module',
    });
  }
  return fn as (...args: unknown[]) => unknown;
}

async function loadModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (TS.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}
