/**
 * Paths in a job file are relative to the file's directory, never to the
 * current directory. This makes them absolute, and checks cheaply that the
 * files they name exist, so `djc validate` catches a typo before a run does.
 */
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
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
    handler: {
      ...handler,
      ...(handler.module === undefined ? {} : { module: resolveModuleRef(baseDir, handler.module) }),
      ...(handler.files === undefined ? {} : { files: handler.files.map((f) => resolvePath(baseDir, f)) }),
    },
    output: {
      ...output,
      ...(output.path === undefined ? {} : { path: resolvePath(baseDir, output.path) }),
      ...(output.reduce === undefined ? {} : { reduce: resolveModuleRef(baseDir, output.reduce) }),
    },
  };
}

/**
 * Cheap checks on the (substituted, maybe invalid) data, made by stat
 * alone, never by reading: module files exist and are files; inputs exist,
 * are readable regular files (or directories, for format: files), and
 * globs match something; output.path is not a directory and can be
 * created. Keys of the wrong type are skipped: the schema reports those.
 */
export async function checkFilesExist(data: unknown, baseDir: string): Promise<RawIssue[]> {
  const d = data as {
    input?: { path?: unknown; format?: unknown };
    handler?: { module?: unknown; files?: unknown };
    output?: { reduce?: unknown; path?: unknown };
  } | null;
  const checks: Array<Promise<RawIssue | undefined>> = [];
  const inputPath = d?.input?.path;
  const format = typeof d?.input?.format === 'string' ? d.input.format : 'jsonl';
  if (typeof inputPath === 'string') checks.push(checkInput(baseDir, inputPath, format, ['input', 'path']));
  if (Array.isArray(inputPath)) {
    inputPath.forEach((p, i) => {
      if (typeof p === 'string') checks.push(checkInput(baseDir, p, format, ['input', 'path', i]));
    });
  }
  for (const [path, ref] of [[['handler', 'module'], d?.handler?.module], [['output', 'reduce'], d?.output?.reduce]] as const) {
    if (typeof ref === 'string' && ref !== '') checks.push(checkModule(baseDir, ref, [...path]));
  }
  const handlerFiles = d?.handler?.files;
  if (Array.isArray(handlerFiles)) {
    handlerFiles.forEach((f, i) => {
      if (typeof f === 'string' && f !== '') checks.push(checkHandlerFile(baseDir, f, ['handler', 'files', i]));
    });
  }
  const outputPath = d?.output?.path;
  if (typeof outputPath === 'string' && outputPath !== '') checks.push(checkOutput(baseDir, outputPath));
  const results = await Promise.all(checks);
  return results.filter((r): r is RawIssue => r !== undefined);
}

async function checkModule(baseDir: string, ref: string, path: PathSeg[]): Promise<RawIssue | undefined> {
  const { file } = splitModuleRef(ref);
  if (URL_LIKE.test(file)) return undefined;
  const abs = resolvePath(baseDir, file);
  const kind = await fileKind(abs);
  if (kind.type === 'file') return undefined;
  const what = kind.type === 'missing' ? 'not found' : kind.type === 'dir' ? 'is a directory, not a file' : `is ${kind.what}, not a file`;
  return { path, anchor: 'value', message: `module ${file} ${what} (looked for ${abs})` };
}

async function checkHandlerFile(baseDir: string, p: string, path: PathSeg[]): Promise<RawIssue | undefined> {
  if (URL_LIKE.test(p)) return { path, anchor: 'value', message: `handler.files names local files (hashed for the cache), found the URL ${p}` };
  const abs = resolvePath(baseDir, p);
  const kind = await fileKind(abs);
  if (kind.type === 'file') return undefined;
  const what = kind.type === 'missing' ? 'not found' : kind.type === 'dir' ? 'is a directory: list its files' : `is ${kind.what}, not a file`;
  return { path, anchor: 'value', message: `handler file ${p} ${what} (looked for ${abs})` };
}

async function checkInput(baseDir: string, p: string, format: string, path: PathSeg[]): Promise<RawIssue | undefined> {
  if (p === '' || URL_LIKE.test(p)) return undefined;
  const abs = resolvePath(baseDir, p);
  const kind = await fileKind(abs);
  const at = (message: string): RawIssue => ({ path, anchor: 'value', message });
  switch (kind.type) {
    case 'file':
      return kind.readable ? undefined : at(`input ${p} cannot be read: permission denied (${abs})`);
    case 'dir':
      if (format === 'files') return undefined;
      return at(`input ${p} is a directory: did you mean format: files (each file under it is a record)? `
        + `Or name its files with a glob such as ${join(p, `*.${format === 'text' ? 'txt' : format}`)}`);
    case 'other':
      return at(`input ${p} is ${kind.what}, not a regular file: djc reads an input more than once (to split it, then each batch), `
        + 'which a pipe or device cannot replay; write the data to a file first');
    default:
      break;
  }
  // tinyglobby (with picomatch) is loaded only for a path that is not there: ~15 ms of CPU every `djc run`/submit/validate would pay.
  const { glob, isDynamicPattern } = await import('tinyglobby');
  if (!isDynamicPattern(p)) return at(`input ${p} not found (looked for ${abs})`);
  // The pattern stays relative to baseDir, so glob characters in baseDir itself are not read as a pattern.
  const matches = await glob(p, { cwd: baseDir, absolute: true, onlyFiles: true, expandDirectories: false });
  if (matches.length > 0) return undefined;
  return at(`input pattern ${p} matches no files (looked for ${abs})`);
}

/** output.path must be a file djc can create: not an existing directory, under a directory (or a path that can become one). */
async function checkOutput(baseDir: string, p: string): Promise<RawIssue | undefined> {
  if (URL_LIKE.test(p)) return undefined;
  const abs = resolvePath(baseDir, p);
  const at = (message: string): RawIssue => ({ path: ['output', 'path'], anchor: 'value', message });
  const kind = await fileKind(abs);
  if (kind.type === 'dir') return at(`${p} is a directory: name the result file, e.g. ${join(p, 'result.jsonl')}`);
  if (kind.type === 'other') return at(`${p} is ${kind.what}: name a regular file (the result replaces it when the job ends)`);
  for (let dir = dirname(abs); dir !== dirname(dir); dir = dirname(dir)) {
    const up = await fileKind(dir);
    if (up.type === 'missing') continue;
    if (up.type !== 'dir') return at(`${p} cannot be created: ${dir} is ${up.type === 'file' ? 'a file' : up.what}, not a directory`);
    break;
  }
  return undefined;
}

type FileKind =
  | { type: 'file'; readable: boolean }
  | { type: 'dir' }
  | { type: 'other'; what: string }
  | { type: 'missing' };

async function fileKind(abs: string): Promise<FileKind> {
  let s: Stats;
  try {
    s = await stat(abs);
  } catch {
    return { type: 'missing' };
  }
  if (s.isDirectory()) return { type: 'dir' };
  if (!s.isFile()) return { type: 'other', what: s.isFIFO() ? 'a FIFO (named pipe)' : s.isSocket() ? 'a socket' : 'a device' };
  return { type: 'file', readable: await access(abs, constants.R_OK).then(() => true, () => false) };
}
