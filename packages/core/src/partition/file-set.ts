/**
 * `format: files`: the records are whole files, named by input.path (files,
 * globs, directories, s3:// prefixes); the handler gets their paths and
 * reads them itself. A batch is a run of files in input order: `batch.files`
 * N files, or `batch.bytes` B (files while their sizes add up to at most B,
 * and at least one), or `batch.records` N (the same as files). Unlike the
 * other formats, a batch may span files: that is its point.
 *
 * Module handlers get the paths as strings; command handlers get them on
 * stdin, one per line (so a file name with a line break is refused at
 * prepare). Each batch lists its files with their sizes and mtimes (ETags
 * on S3); a worker checks local files against them before the handler runs.
 */
import { stat } from 'node:fs/promises';
import { DjcError } from '../errors.js';
import type { BatchDescriptor, FileRef, FileStat } from '../model/batch.js';
import type { ListedFile } from './expand-paths.js';
import { countRecords, type BatchCounters } from './file-splitter.js';
import { isS3Url } from './input-source.js';
import { sameFile } from './open-input.js';
import type { PartitionEvent, PartitionOptions } from './types.js';

/** Largest file list one batch may carry (JSON): task items stay well under DynamoDB's 400 KB. */
export const MAX_FILE_LIST_BYTES = 256 << 10;
/** Files stat'ed at once at prepare. */
const STAT_CONCURRENCY = 16;

/** The batches of a file set, then a 'file' event for each file. */
export async function* partitionFileSet(files: readonly ListedFile[], opts: PartitionOptions): AsyncGenerator<PartitionEvent> {
  const counters: BatchCounters = { index: 0, record: 0 };
  const refs = await statAll(files, opts.signal);
  let batch: FileRef[] = [];
  let bytes = 0;
  let listBytes = 0;
  const full = (next: FileRef) => {
    if (batch.length === 0) return false;
    if (opts.batchFiles !== undefined) return batch.length >= opts.batchFiles;
    if (opts.batchBytes !== undefined) return bytes + next.size > opts.batchBytes;
    return batch.length >= opts.batchRecords;
  };
  const emit = (): BatchDescriptor => {
    const b: BatchDescriptor = {
      index: counters.index++, file: (batch[0] as FileRef).path, start: 0, end: bytes,
      firstRecord: counters.record, records: batch.length, files: batch,
    };
    countRecords(counters, batch.length);
    batch = [];
    bytes = 0;
    listBytes = 0;
    return b;
  };
  for (const ref of refs) {
    opts.signal?.throwIfAborted();
    if (full(ref)) yield { type: 'batch', batch: emit() };
    batch.push(ref);
    bytes += ref.size;
    listBytes += Buffer.byteLength(JSON.stringify(ref)) + 1;
    if (listBytes > MAX_FILE_LIST_BYTES) {
      throw new DjcError('CONFIG_INVALID', `input.batch: batch ${counters.index} would list ${batch.length} files in more than ${MAX_FILE_LIST_BYTES >> 10} KiB`, {
        hint: 'set a smaller input.batch.files (or batch.bytes): a task carries the list of its files',
      });
    }
  }
  if (batch.length > 0) yield { type: 'batch', batch: emit() };
  for (const ref of refs) yield { type: 'file', file: { path: ref.path, size: ref.size, mtimeMs: ref.mtimeMs, records: 1 } };
}

/** Each file with its stat: from the S3 listing, else one stat (or HeadObject) each, a few at a time. */
async function statAll(files: readonly ListedFile[], signal: AbortSignal | undefined): Promise<FileRef[]> {
  const out = new Array<FileRef>(files.length);
  let next = 0;
  const work = async () => {
    for (let i = next++; i < files.length; i = next++) {
      signal?.throwIfAborted();
      const f = files[i] as ListedFile;
      if (/[\r\n]/.test(f.path)) {
        throw new DjcError('INPUT_INVALID', `input.path: the file name ${JSON.stringify(f.path)} holds a line break`, {
          hint: 'format: files gives command handlers one path per line; rename the file',
        });
      }
      out[i] = { path: f.path, ...(f.stat ?? (await statFile(f.path))) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, files.length) }, work));
  return out;
}

async function statFile(path: string): Promise<FileStat> {
  if (isS3Url(path)) {
    const { statS3Object } = await import('./s3-source.js');
    return statS3Object(path);
  }
  try {
    const st = await stat(path);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    throw missing(path, e);
  }
}

/**
 * The batch's paths, after checking that each local file is still the one
 * prepare saw (one stat each; s3:// objects are not checked here: the
 * handler reads them, and their ETags are in the batch).
 */
export async function fileSetPaths(batch: BatchDescriptor): Promise<string[]> {
  const files = batch.files;
  if (files === undefined) {
    throw new DjcError('INPUT_INVALID', `batch ${batch.index} lists no files`, { hint: 'the job was prepared for another input.format; submit it again' });
  }
  // Stat in parallel, report in batch order: the first file that fails
  // names the error whichever stat answers first.
  const checks = await Promise.allSettled(files.filter((f) => !isS3Url(f.path)).map(async (f) => {
    let now: FileStat;
    try {
      const st = await stat(f.path);
      now = { size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      throw missing(f.path, e);
    }
    if (!sameFile(now, f)) {
      throw new DjcError('INPUT_INVALID', `${f.path}: the input changed after the job was prepared (size ${f.size} → ${now.size}, mtime ${new Date(f.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()})`, {
        hint: 'do not modify input files while a job runs; submit the job again to process the new contents',
      });
    }
  }));
  const failed = checks.find((c) => c.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return files.map((f) => f.path);
}

/** The batch's paths, one per line, for a command handler's stdin. */
export async function* fileSetBytes(batch: BatchDescriptor, tally: { records: number }): AsyncGenerator<Buffer> {
  const paths = await fileSetPaths(batch);
  tally.records += paths.length;
  yield Buffer.from(paths.map((p) => `${p}\n`).join(''), 'utf8');
}

function missing(path: string, e: unknown): DjcError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
  return new DjcError('INPUT_INVALID', `${path}: cannot read input: ${why}`, { cause: e });
}
