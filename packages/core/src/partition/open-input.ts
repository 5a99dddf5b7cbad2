import type { FileHandle } from 'node:fs/promises';
import { DjcError } from '../errors.js';
import type { FileStat } from '../model/batch.js';
import { isS3Url, type InputSource, type InputStat, type ReadPlan } from './input-source.js';
import { blockingReads, openBlockingLocal } from './blocking-local-source.js';
import { cannotOpen, INPUT_OPEN_FLAGS, notRegularFile } from './open-errors.js';

export interface OpenHow {
  /** A local file is read with blocking calls in this thread (blocking-local-source.ts), whatever useBlockingLocalReads says. */
  blocking?: boolean;
}

/**
 * Opens an input file (a local path or an `s3://bucket/key` URL) for
 * reading; a missing, unreadable or non-regular file is INPUT_INVALID.
 * `plan`: the ranges about to be read (see ReadPlan); only S3 uses it.
 * `expect`: the file as prepare saw it (`BatchDescriptor.source`); a file
 * that differs now is INPUT_INVALID ("changed").
 */
export async function openInput(file: string, plan?: ReadPlan, expect?: FileStat, how: OpenHow = {}): Promise<InputSource> {
  const src = await openSource(file, plan, expect, how);
  if (expect !== undefined && !sameFile(src, expect)) {
    await src.close();
    throw changedSincePrepare(file, expect, src);
  }
  return src;
}

/**
 * After reading a batch: for a source whose reads are not guarded (local
 * files), checks that the file is still the one prepare saw, so a batch is
 * never read half-old. One fstat.
 */
export async function checkUnchanged(src: InputSource, expect: FileStat | undefined): Promise<void> {
  if (expect === undefined || src.guarded) return;
  const now = await src.stat();
  if (!sameFile(now, expect)) throw changedSincePrepare(src.name, expect, now);
}

/** The stat a batch carries (`BatchDescriptor.source`): without `version` for local files. */
export function fileStat(src: FileStat): FileStat {
  return src.version === undefined ? { size: src.size, mtimeMs: src.mtimeMs } : { size: src.size, mtimeMs: src.mtimeMs, version: src.version };
}

/** Same size and mtime, and the same version where both have one (S3 ETags). */
export function sameFile(a: FileStat, b: FileStat): boolean {
  if (a.version !== undefined && b.version !== undefined) return a.version === b.version && a.size === b.size;
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function changedSincePrepare(file: string, then: FileStat, now: FileStat): DjcError {
  const detail = then.size !== now.size
    ? `size ${then.size} bytes when the job was prepared, ${now.size} now`
    : then.version !== undefined && now.version !== undefined && then.version !== now.version
      ? `ETag ${then.version} when the job was prepared, ${now.version} now`
      : `modified ${new Date(now.mtimeMs).toISOString()}, after the job was prepared (${new Date(then.mtimeMs).toISOString()})`;
  return new DjcError('INPUT_INVALID', `${file}: the input changed after the job was prepared (${detail})`, {
    hint: 'do not modify input files while a job runs; submit the job again to process the new contents',
    details: { file },
  });
}

async function openSource(file: string, plan: ReadPlan | undefined, expect: FileStat | undefined, how: OpenHow): Promise<InputSource> {
  if (isS3Url(file)) {
    const { openS3Input } = await import('./s3-source.js');
    return openS3Input(file, plan, expect);
  }
  if (how.blocking || blockingReads()) return openBlockingLocal(file);
  let fh: FileHandle;
  try {
    // Loaded at the first use: a local file split by records never opens a FileHandle (split-local-file.ts).
    fh = await process.getBuiltinModule('node:fs/promises').open(file, INPUT_OPEN_FLAGS);
  } catch (e) {
    throw cannotOpen(file, e);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw notRegularFile(file, stat);
    return new LocalSource(file, fh, stat);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

class LocalSource implements InputSource {
  readonly guarded = false;
  readonly size: number;
  readonly mtimeMs: number;

  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    st: InputStat,
  ) {
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.fh.read(buffer, offset, length, position);
  }

  async stat(): Promise<InputStat> {
    const { size, mtimeMs } = await this.fh.stat();
    return { size, mtimeMs };
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export function fileChanged(file: string, detail: string): DjcError {
  return new DjcError('INPUT_INVALID', `${file}: the file changed while djc was reading it (${detail})`, {
    hint: 'do not modify input files while a job runs; submit the job again',
  });
}
