/**
 * How the cache finds what a module imports, without a tsconfig: the way
 * Node and tsx (which loads djc's TypeScript handlers) resolve a specifier.
 * A relative or absolute specifier is a LOCAL file, whose content is hashed;
 * a bare one is a package, identified by name@version from its
 * package.json (never hashed: reinstalling a version gives the same key).
 */
import { readFile, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ResolvedImport =
  /** A local file that exists. */
  | { kind: 'file'; path: string }
  /** A local specifier that names no file (yet): `path` is where it was looked for. */
  | { kind: 'missing'; path: string }
  /** A package; version null when no node_modules above the importer holds it. */
  | { kind: 'package'; name: string; version: string | null }
  /** node:fs, fs, …: part of Node, not of the key. */
  | { kind: 'builtin' };

/** Extensions tried for a specifier without one, in tsx's order. */
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json'];
/** tsx lets a TypeScript file import "./x.js" for "./x.ts" (the NodeNext style). */
const TS_TWINS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

/** Resolves `specifier` as imported by the file `importer` (absolute). */
export async function resolveImport(specifier: string, importer: string): Promise<ResolvedImport> {
  if (isBuiltin(specifier)) return { kind: 'builtin' };
  const local = localTarget(specifier, importer);
  if (local !== null) return resolveLocal(local);
  const name = packageName(specifier);
  return { kind: 'package', name, version: await packageVersion(name, dirname(importer)) };
}

/** The absolute path a local specifier points at (before extensions), or null for a bare specifier. */
function localTarget(specifier: string, importer: string): string | null {
  const bare = specifier.replace(/[?#].*$/, '');
  if (bare.startsWith('file:')) return fileURLToPath(bare);
  if (bare.startsWith('./') || bare.startsWith('../') || bare === '.' || bare === '..') return resolve(dirname(importer), bare);
  if (bare.startsWith('/')) return bare;
  return null;
}

async function resolveLocal(base: string): Promise<ResolvedImport> {
  for (const candidate of candidates(base)) {
    if (await isFile(candidate)) return { kind: 'file', path: candidate };
  }
  return { kind: 'missing', path: base };
}

/** The files `base` may mean, in the order tried: itself, its TypeScript twin, with an extension, an index file. */
function candidates(base: string): string[] {
  const ext = /\.[cm]?jsx?$/.exec(base)?.[0];
  const twins = ext === undefined ? [] : (TS_TWINS[ext] ?? []).map((t) => base.slice(0, -ext.length) + t);
  return [
    base,
    ...twins,
    ...EXTENSIONS.map((e) => base + e),
    ...EXTENSIONS.map((e) => join(base, `index${e}`)),
  ];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** "lodash/fp" → "lodash"; "@scope/pkg/sub" → "@scope/pkg"; "#internal" stays. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
}

/** The version in node_modules/<name>/package.json of the nearest directory at or above `dir` that has one. */
async function packageVersion(name: string, dir: string): Promise<string | null> {
  for (let d = dir; ; d = dirname(d)) {
    const version = await readVersion(join(d, 'node_modules', name, 'package.json'));
    if (version !== undefined) return version;
    if (dirname(d) === d) return null;
  }
}

/** The `version` of a package.json; undefined when there is no such file. */
async function readVersion(file: string): Promise<string | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = (JSON.parse(text) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}
