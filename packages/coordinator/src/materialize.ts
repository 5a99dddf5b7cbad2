import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { blobKeys, copyBytes, type Backend, type BatchDescriptor, type BlobCopy, type ReadOptions } from '@djc/core';

/** Batches copied at once (each is read from the input and written to the blob store as a stream). */
const CONCURRENCY = 4;

/**
 * input.materialize: copies each batch's bytes (format: files, each of its
 * files) into the blob store, recording key, sha256 and size in the batch.
 * The batches are changed in place; returns them. Run at prepare, before
 * the tasks are written, so a task never names a copy that is not there.
 */
export async function materializeBatches(backend: Backend, jobId: string, batches: BatchDescriptor[], opts: ReadOptions): Promise<BatchDescriptor[]> {
  let next = 0;
  const work = async () => {
    for (let i = next++; i < batches.length; i = next++) await materializeBatch(backend, jobId, batches[i] as BatchDescriptor, opts);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, work));
  return batches;
}

async function materializeBatch(backend: Backend, jobId: string, batch: BatchDescriptor, opts: ReadOptions): Promise<void> {
  if (batch.files !== undefined) {
    for (const [i, ref] of batch.files.entries()) {
      const whole: BatchDescriptor = { index: batch.index, file: ref.path, start: 0, end: ref.size, firstRecord: null, records: null, source: ref };
      const { copy } = await putCopy(backend, blobKeys.fileCopy(jobId, batch.index, i), copyBytes(whole, { ...opts, format: 'binary' }));
      ref.copy = copy;
    }
    return;
  }
  const { copy, bytes } = await putCopy(backend, blobKeys.batchCopy(jobId, batch.index), copyBytes(batch, opts));
  batch.materialized = { ...copy, bytes };
}

/** Streams `chunks` into the blob store under `key`, hashing them on the way (a read error fails the put). */
async function putCopy(backend: Backend, key: string, chunks: AsyncIterable<Buffer>): Promise<{ copy: BlobCopy; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  await backend.blobs.put(key, Readable.from(hashed()));
  return { copy: { key, sha256: hash.digest('hex') }, bytes };
}
