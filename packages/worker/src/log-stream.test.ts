import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type BlobStore } from '@djc/core';
import { createFsBlobStore } from '@djc/core/backends/local';
import { LogBuffer } from './handlers/log-buffer.js';
import { startLogStream } from './log-stream.js';

const KEY = 'jobs/j/logs/00000000.1.log';
const logger = createLogger({ name: 'test', level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real blob directory that counts puts. */
function countingBlobs(dir: string): { blobs: BlobStore; puts(): number } {
  const inner = createFsBlobStore({ root: dir });
  let puts = 0;
  const blobs: BlobStore = Object.assign(Object.create(inner) as BlobStore, {
    put: (...a: Parameters<BlobStore['put']>) => {
      puts++;
      return inner.put(...a);
    },
  });
  return { blobs, puts: () => puts };
}

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await fn()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('startLogStream', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'djc-log-stream-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the log while it grows, one write per burst, none while it is quiet', async () => {
    const { blobs, puts } = countingBlobs(dir);
    const log = new LogBuffer();
    const stream = startLogStream({ blobs, key: KEY, log, logger, intervalMs: 20 });
    const text = async () => (await blobs.get(KEY))?.toString('utf8') ?? null;
    log.line('step 1');
    await until('step 1 written', async () => (await text()) === 'step 1\n');
    const afterFirst = puts();
    await sleep(200); // ten intervals of silence
    expect(puts()).toBe(afterFirst);
    for (let i = 0; i < 100; i++) log.line(`line ${i}`);
    await until('the burst written', async () => (await text())?.endsWith('line 99\n') === true);
    expect(puts() - afterFirst).toBe(1);
    expect(await stream.stop()).toBe(log.toString());
  });

  it('interval 0 (DJC_LOG_FLUSH_MS=0) writes nothing', async () => {
    const { blobs, puts } = countingBlobs(dir);
    const log = new LogBuffer();
    const stream = startLogStream({ blobs, key: KEY, log, logger, intervalMs: 0 });
    log.line('hello');
    await sleep(50);
    expect(await stream.stop()).toBe('');
    expect(puts()).toBe(0);
  });
});
