import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKeys, MAX_INLINE_OUTPUT_BYTES, type Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { storeOutput } from './store-output.js';

describe('storeOutput', () => {
  let dir: string;
  let backend: Backend;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'djc-store-output-'));
    backend = createLocalBackend({ home: join(dir, 'home') });
  });
  afterEach(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps an output of up to MAX_INLINE_OUTPUT_BYTES inline and writes no blob', async () => {
    const data = Buffer.alloc(MAX_INLINE_OUTPUT_BYTES, 'a');
    const where = await storeOutput(backend, { type: 'buffer', data }, 'job-1', 3, 1);
    expect(where.outputKey).toBeUndefined();
    expect(Buffer.from(where.inlineOutput ?? [])).toEqual(data);
    expect(await backend.blobs.get(blobKeys.output('job-1', 3, 1))).toBeNull();
  });

  it('writes a larger output to the blob store under the attempt\'s key', async () => {
    const data = Buffer.alloc(MAX_INLINE_OUTPUT_BYTES + 1, 'b');
    const where = await storeOutput(backend, { type: 'buffer', data }, 'job-1', 3, 2);
    expect(where).toEqual({ outputKey: blobKeys.output('job-1', 3, 2) });
    expect(await backend.blobs.get(blobKeys.output('job-1', 3, 2))).toEqual(data);
  });

  it('decides the same for a command\'s output file by its size', async () => {
    const small = join(dir, 'small.out');
    const large = join(dir, 'large.out');
    await writeFile(small, 'one line\n');
    await writeFile(large, Buffer.alloc(MAX_INLINE_OUTPUT_BYTES * 3, 'c'));
    const s = await storeOutput(backend, { type: 'file', path: small }, 'job-2', 0, 1);
    expect(Buffer.from(s.inlineOutput ?? []).toString()).toBe('one line\n');
    const l = await storeOutput(backend, { type: 'file', path: large }, 'job-2', 1, 1);
    expect(l).toEqual({ outputKey: blobKeys.output('job-2', 1, 1) });
    expect((await backend.blobs.get(blobKeys.output('job-2', 1, 1)))?.byteLength).toBe(MAX_INLINE_OUTPUT_BYTES * 3);
  });
});
