import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { DjcError } from '../errors.js';
import type { FileStat } from '../model/batch.js';
import { isS3Url } from './input-source.js';

/** An input file as `expandInputFiles` found it: its path, and its stat when the listing gave it (S3). */
export interface ListedFile {
  path: string;
  stat: FileStat | null;
}

export interface ExpandOptions {
  /**
   * A directory stands for every file under it, recursively (format: files),
   * as the glob `dir/**` would; otherwise a directory is INPUT_INVALID.
   */
  directories?: boolean;
}

/**
 * The input files named by `input.path` entries (already absolute), in
 * order: a file stands for itself; a glob expands to the files it matches,
 * sorted (code-point order; hidden files only when the pattern names them).
 * A file named twice is kept once, where it first appears. A directory
 * (unless `directories`), a missing file, or a glob that matches no file is
 * INPUT_INVALID naming the entry.
 *
 * `s3://bucket/key` is that object (it must exist); `s3://bucket/prefix/`
 * every object under the prefix; `s3://bucket/dir/*.jsonl` the objects that
 * match the glob (see s3-source.ts). Each sorted by key.
 */
export async function expandInputPaths(paths: readonly string[], opts: ExpandOptions = {}): Promise<string[]> {
  return (await expandInputFiles(paths, opts)).map((f) => f.path);
}

/** `expandInputPaths`, keeping the size, mtime and ETag S3 listings give (so no HeadObject per object is needed). */
export async function expandInputFiles(paths: readonly string[], opts: ExpandOptions = {}): Promise<ListedFile[]> {
  if (paths.length === 0) throw new DjcError('INPUT_INVALID', 'input.path names no files');
  const seen = new Map<string, ListedFile>();
  for (const entry of paths) {
    for (const file of await expandOne(entry, opts)) if (!seen.has(file.path)) seen.set(file.path, file);
  }
  return [...seen.values()];
}

async function expandOne(entry: string, opts: ExpandOptions): Promise<ListedFile[]> {
  if (isS3Url(entry)) {
    const { expandS3Entry } = await import('./s3-source.js');
    return expandS3Entry(entry);
  }
  return (await expandLocal(entry, opts)).map((path) => ({ path, stat: null }));
}

/** tinyglobby, loaded on first use: ~30 ms of CPU at start-up that a command naming plain files does not need. */
const globber = () => import('tinyglobby');

async function expandLocal(entry: string, opts: ExpandOptions): Promise<string[]> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    throw new DjcError('INPUT_INVALID', `input.path ${entry}: only local paths and s3:// URLs are supported`);
  }
  const abs = path.resolve(entry);
  const st = await statOrNull(abs);
  if (st?.isDirectory() && opts.directories) {
    const { glob } = await globber();
    const files = await glob(['**'], { cwd: abs, absolute: true, onlyFiles: true, expandDirectories: false });
    if (files.length === 0) throw new DjcError('INPUT_INVALID', `input.path ${entry}: the directory holds no files`);
    return files.map((f) => path.resolve(f)).sort();
  }
  if (st?.isDirectory()) {
    throw new DjcError('INPUT_INVALID', `input.path ${entry} is a directory: did you mean format: files?`, {
      hint: `set input.format: files to hand each file under it to the handler, or name its files with a glob such as ${path.join(entry, '*.jsonl')}`,
    });
  }
  // An existing file is taken literally, even if its name looks like a glob (data[1].csv).
  if (st !== null) return [abs];
  const { glob, isDynamicPattern } = await globber();
  if (!isDynamicPattern(abs)) {
    throw new DjcError('INPUT_INVALID', `input.path ${entry}: no such file`);
  }
  const { cwd, pattern } = await splitPattern(abs);
  const files = await glob([pattern], { cwd, absolute: true, onlyFiles: true, expandDirectories: false });
  if (files.length === 0) {
    throw new DjcError('INPUT_INVALID', `input.path ${entry}: the pattern matches no files`);
  }
  return files.map((f) => path.resolve(f)).sort();
}

/**
 * Splits a pattern at its longest leading directory that exists, so that a
 * directory such as `/data/run [old]` is taken literally, not as a glob.
 */
async function splitPattern(abs: string): Promise<{ cwd: string; pattern: string }> {
  const parts = abs.split(path.sep);
  for (let k = parts.length - 1; k > 1; k--) {
    const dir = parts.slice(0, k).join(path.sep);
    if ((await statOrNull(dir))?.isDirectory()) return { cwd: dir, pattern: parts.slice(k).join('/') };
  }
  return { cwd: path.parse(abs).root, pattern: parts.slice(1).join('/') };
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw new DjcError('INPUT_INVALID', `input.path ${file}: ${(e as Error).message}`, { cause: e });
  }
}
