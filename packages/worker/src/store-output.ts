import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { blobKeys, MAX_INLINE_OUTPUT_BYTES, type Backend, type OutputRef } from '@djc/core/worker';
import type { AttemptOutput } from './handlers/index.js';

/**
 * Stores a succeeded attempt's output and says where it went, for
 * completeTask: an output of at most MAX_INLINE_OUTPUT_BYTES stays inline
 * (the task record keeps it: no blob write now, no blob read at finalize);
 * a larger one is written to the blob store under a key that names the
 * attempt, so a late write of an older attempt never overwrites it.
 */
export async function storeOutput(backend: Backend, out: AttemptOutput, jobId: string, taskId: number, attempt: number): Promise<OutputRef> {
  const inline = await smallBytes(out);
  if (inline) return { inlineOutput: inline };
  const key = blobKeys.output(jobId, taskId, attempt);
  await backend.blobs.put(key, out.type === 'buffer' ? out.data : createReadStream(out.path));
  return { outputKey: key };
}

/** The output's bytes if it is small enough to keep inline, else null. */
async function smallBytes(out: AttemptOutput): Promise<Uint8Array | null> {
  if (out.type === 'buffer') return out.data.byteLength <= MAX_INLINE_OUTPUT_BYTES ? out.data : null;
  if ((await stat(out.path)).size > MAX_INLINE_OUTPUT_BYTES) return null;
  const data = await readFile(out.path);
  return data.byteLength <= MAX_INLINE_OUTPUT_BYTES ? data : null;
}
