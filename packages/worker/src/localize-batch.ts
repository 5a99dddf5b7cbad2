/**
 * input.materialize, on the worker: the batch's copy (or, for format: files,
 * each file's copy) is downloaded from the blob store into the attempt's
 * scratch directory while its sha256 is computed; a copy whose sha256 is not
 * the one prepare recorded fails the attempt before the handler runs.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { batchOfCopy, DjcError, type BatchDescriptor, type BlobCopy, type BlobStore, type ReadOptions } from '@djc/core/worker';

/** True when the batch is read from copies in the blob store. */
export function isMaterialized(batch: BatchDescriptor): boolean {
  return batch.materialized !== undefined || (batch.files?.some((f) => f.copy !== undefined) ?? false);
}

/**
 * Downloads the batch's copies into `dir`, checks their sha256, and returns
 * the batch as read from there. INPUT_INVALID (not retried: another attempt
 * would download the same bytes) when a copy is missing or its sha256
 * differs.
 */
export async function localizeBatch(blobs: BlobStore, batch: BatchDescriptor, opts: ReadOptions, dir: string): Promise<BatchDescriptor> {
  await mkdir(dir, { recursive: true });
  if (batch.files !== undefined) {
    const files = [];
    for (const [i, ref] of batch.files.entries()) {
      if (ref.copy === undefined) {
        files.push(ref);
        continue;
      }
      // The original name, so that handlers see the same file names and extensions.
      const path = join(dir, String(i), basename(ref.path.replace(/^s3:\/\/[^/]+/, '')) || 'file');
      await mkdir(join(dir, String(i)), { recursive: true });
      await download(blobs, ref.copy, path, `file ${ref.path} of batch ${batch.index}`);
      const st = await stat(path);
      files.push({ path, size: st.size, mtimeMs: st.mtimeMs });
    }
    return { ...batch, files, file: files[0]?.path ?? batch.file };
  }
  const copy = batch.materialized;
  if (copy === undefined) return batch;
  const path = join(dir, 'batch');
  await download(blobs, copy, path, `batch ${batch.index}`);
  return batchOfCopy(batch, path, opts);
}

async function download(blobs: BlobStore, copy: BlobCopy, path: string, what: string): Promise<void> {
  const body = await blobs.getStream(copy.key);
  if (body === null) {
    throw new DjcError('INPUT_INVALID', `${what}: its copy ${copy.key} is missing from the blob store`, {
      hint: 'the job\'s blobs were deleted or expired; submit the job again',
    });
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(body, hashing, createWriteStream(path));
  const sha256 = hash.digest('hex');
  if (sha256 !== copy.sha256) {
    throw new DjcError('INPUT_INVALID', `${what}: its copy ${copy.key} has sha256 ${sha256}, prepare recorded ${copy.sha256}: it changed or was corrupted in the blob store after prepare`, {
      hint: 'submit the job again to copy the input anew',
    });
  }
}
