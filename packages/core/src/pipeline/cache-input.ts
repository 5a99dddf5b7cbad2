/**
 * A stage run's input fingerprint. Files: the expanded input (globs and
 * directories included, in input order), each by size and mtime, or by
 * the sha256 of its content with `input.checksum: true`; S3 objects by
 * size and ETag (content-derived, and free from the listing). Upstream
 * stages: the sha256 of each upstream's output, as the caller knows it
 * (null until the upstream has run).
 */
import { stat } from 'node:fs/promises';
import { DjcError } from '../errors.js';
import { expandInputFiles, type ListedFile } from '../partition/expand-paths.js';
import { isS3Url } from '../partition/input-source.js';
import type { InputComponent, InputFile } from './cache-components.js';
import { sha256File } from './cache-hash.js';
import type { StageRunSpec } from './types.js';

/** The sha256 of an upstream stage's output (all its points, in order, for a matrix stage), or null when not known. */
export type UpstreamResultOf = (stage: string) => string | null;

/** input.checksum: fingerprint input files by content instead of size and mtime. */
export function wantsChecksum(run: Pick<StageRunSpec, 'config'>): boolean {
  return run.config.input.checksum === true;
}

export async function inputFingerprint(
  run: Pick<StageRunSpec, 'config' | 'upstream' | 'displayName'>,
  upstreamResult: UpstreamResultOf,
): Promise<InputComponent> {
  if (run.upstream !== null) {
    return { kind: 'upstream', upstreams: run.upstream.from.map((stage) => ({ stage, sha256: upstreamResult(stage) })) };
  }
  const { path, format } = run.config.input;
  const paths = Array.isArray(path) ? path : [path];
  const checksum = wantsChecksum(run);
  let listed: ListedFile[];
  try {
    listed = await expandInputFiles(paths, { directories: format === 'files' });
  } catch (e) {
    throw new DjcError('INPUT_INVALID', `stage ${run.displayName}: ${(e as Error).message}`, { cause: e, hint: (e as DjcError).hint });
  }
  const files: InputFile[] = [];
  for (const f of listed) files.push(await fingerprintFile(f, checksum));
  return { kind: 'files', checksum, files };
}

async function fingerprintFile(f: ListedFile, checksum: boolean): Promise<InputFile> {
  if (isS3Url(f.path)) {
    const st = f.stat ?? (await s3Stat(f.path));
    return st.version === undefined
      ? { path: f.path, size: st.size, mtimeMs: st.mtimeMs }
      : { path: f.path, size: st.size, etag: st.version };
  }
  const st = await stat(f.path);
  return checksum
    ? { path: f.path, size: st.size, sha256: await sha256File(f.path) }
    : { path: f.path, size: st.size, mtimeMs: st.mtimeMs };
}

async function s3Stat(url: string): Promise<{ size: number; mtimeMs: number; version?: string }> {
  const { openInput } = await import('../partition/open-input.js');
  const src = await openInput(url);
  try {
    return { size: src.size, mtimeMs: src.mtimeMs, ...(src.version === undefined ? {} : { version: src.version }) };
  } finally {
    await src.close();
  }
}
