/**
 * Paths in a job file are relative to the file's directory, never to the
 * current directory. This makes them absolute, and checks cheaply that the
 * files they name exist, so `djc validate` catches a typo before a run does.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { PathSeg } from './describe.js';
import type { RawIssue } from './issues.js';
import type { JobConfig } from './schema.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** An absolute path for `p` (relative to `baseDir`); URLs such as s3://bucket/key stay as they are. */
export function resolvePath(baseDir: string, p: string): string {
  return URL_LIKE.test(p) || isAbsolute(p) ? p : resolve(baseDir, p);
}

/** Resolves the file part of "./file.ts#export", keeping "#export". */
export function resolveModuleRef(baseDir: string, ref: string): string {
  const { file, exportPart } = splitModuleRef(ref);
  return resolvePath(baseDir, file) + exportPart;
}

function splitModuleRef(ref: string): { file: string; exportPart: string } {
  const hash = ref.lastIndexOf('#');
  return hash < 0 ? { file: ref, exportPart: '' } : { file: ref.slice(0, hash), exportPart: ref.slice(hash) };
}

/** The config with input.path, handler.module, output.path and output.reduce made absolute. handler.command is left alone. */
export function resolveConfigPaths(config: JobConfig, baseDir: string): JobConfig {
  const { input, handler, output } = config;
  return {
    ...config,
    input: {
      ...input,
      path: Array.isArray(input.path) ? input.path.map((p) => resolvePath(baseDir, p)) : resolvePath(baseDir, input.path),
    },
    handler: handler.module === undefined ? handler : { ...handler, module: resolveModuleRef(baseDir, handler.module) },
    output: {
      ...output,
      ...(output.path === undefined ? {} : { path: resolvePath(baseDir, output.path) }),
      ...(output.reduce === undefined ? {} : { reduce: resolveModuleRef(baseDir, output.reduce) }),
    },
  };
}

/**
 * Existence checks on the (substituted, maybe invalid) data: module files,
 * input files, and globs that must match something. Keys of the wrong type
 * are skipped: the schema reports those.
 */
export async function checkFilesExist(data: unknown, baseDir: string): Promise<RawIssue[]> {
  const d = data as { input?: { path?: unknown }; handler?: { module?: unknown }; output?: { reduce?: unknown } } | null;
  const checks: Array<Promise<RawIssue | undefined>> = [];
  const inputPath = d?.input?.path;
  if (typeof inputPath === 'string') checks.push(checkInput(baseDir, inputPath, ['input', 'path']));
  if (Array.isArray(inputPath)) {
    inputPath.forEach((p, i) => {
      if (typeof p === 'string') checks.push(checkInput(baseDir, p, ['input', 'path', i]));
    });
  }
  for (const [path, ref] of [[['handler', 'module'], d?.handler?.module], [['output', 'reduce'], d?.output?.reduce]] as const) {
    if (typeof ref === 'string' && ref !== '') checks.push(checkModule(baseDir, ref, [...path]));
  }
  const results = await Promise.all(checks);
  return results.filter((r): r is RawIssue => r !== undefined);
}

async function checkModule(baseDir: string, ref: string, path: PathSeg[]): Promise<RawIssue | undefined> {
  const { file } = splitModuleRef(ref);
  if (URL_LIKE.test(file)) return undefined;
  const abs = resolvePath(baseDir, file);
  const kind = await fileKind(abs);
  if (kind === 'file') return undefined;
  const what = kind === 'dir' ? 'is a directory, not a file' : 'not found';
  return { path, anchor: 'value', message: `module ${file} ${what} (looked for ${abs})` };
}

async function checkInput(baseDir: string, p: string, path: PathSeg[]): Promise<RawIssue | undefined> {
  if (p === '' || URL_LIKE.test(p)) return undefined;
  const abs = resolvePath(baseDir, p);
  if ((await fileKind(abs)) !== 'missing') return undefined;
  if (!isDynamicPattern(p)) return { path, anchor: 'value', message: `input ${p} not found (looked for ${abs})` };
  // The pattern stays relative to baseDir, so glob characters in baseDir itself are not read as a pattern.
  const matches = await glob(p, { cwd: baseDir, absolute: true, onlyFiles: true, expandDirectories: false });
  if (matches.length > 0) return undefined;
  return { path, anchor: 'value', message: `input pattern ${p} matches no files (looked for ${abs})` };
}

async function fileKind(abs: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const s = await stat(abs);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}
