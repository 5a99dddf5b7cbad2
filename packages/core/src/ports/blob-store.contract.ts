/**
 * The BlobStore contract: every backend runs this suite. `make` returns a
 * fresh, empty store per test (own directory, bucket or prefix).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from './blob-store.js';
import { rejectionOf } from '../testing/fixtures.js';
import { useFixture, type Made } from '../testing/contract-harness.js';

export type BlobStoreFixture = Made & { blobs: BlobStore };

async function readAll(stream: Readable | null): Promise<string | null> {
  if (!stream) return null;
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

export function describeBlobStoreContract(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const fx = useFixture(make);
    const b = () => fx().blobs;
    describeReadWrite(b);
    describeListAndKeys(b);
    describeLocate(b);
  });
}

function describeLocate(b: () => BlobStore): void {
  describe('locate', () => {
    it('names where an object is (a file with its bytes, or an s3:// URL ending in its key), the same before and after a put', async () => {
      const before = b().locate('jobs/j1/result');
      await b().put('jobs/j1/result', 'a\nb\n');
      const where = b().locate('jobs/j1/result');
      expect(where).toBe(before);
      expect(where.endsWith('/jobs/j1/result') || where.endsWith('\\jobs\\j1\\result')).toBe(true);
      if (where.startsWith('s3://')) expect(where).toMatch(/^s3:\/\/[^/]+\/.*jobs\/j1\/result$/);
      else expect(readFileSync(where, 'utf8')).toBe('a\nb\n');
      expect(b().locate('jobs/j2/result')).not.toBe(where);
    });
  });
}

function describeReadWrite(b: () => BlobStore): void {
  describe('put, get, stream, size, delete', () => {
    it('round-trips a string, bytes and a stream', async () => {
      await b().put('jobs/j1/a.txt', 'héllo');
      await b().put('jobs/j1/b.bin', new Uint8Array([0, 1, 2, 255]));
      await b().put('jobs/j1/c.log', Readable.from([Buffer.from('one\n'), Buffer.from('two\n')]));
      expect((await b().get('jobs/j1/a.txt'))?.toString('utf8')).toBe('héllo');
      expect([...((await b().get('jobs/j1/b.bin')) ?? [])]).toEqual([0, 1, 2, 255]);
      expect((await b().get('jobs/j1/c.log'))?.toString('utf8')).toBe('one\ntwo\n');
      expect(await b().size('jobs/j1/a.txt')).toBe(Buffer.byteLength('héllo'));
      expect(await b().size('jobs/j1/b.bin')).toBe(4);
    });

    it('reads a missing key as null, never as an error', async () => {
      expect(await b().get('jobs/none')).toBeNull();
      expect(await b().getStream('jobs/none')).toBeNull();
      expect(await b().getStream('jobs/none', { range: { start: 2, end: 4 } })).toBeNull();
      expect(await b().size('jobs/none')).toBeNull();
    });

    it('streams a whole object or a byte range [start, end)', async () => {
      await b().put('r/digits', '0123456789');
      expect(await readAll(await b().getStream('r/digits'))).toBe('0123456789');
      expect(await readAll(await b().getStream('r/digits', { range: { start: 2, end: 5 } }))).toBe('234');
      expect(await readAll(await b().getStream('r/digits', { range: { start: 7 } }))).toBe('789');
      expect(await readAll(await b().getStream('r/digits', { range: { start: 8, end: 100 } }))).toBe('89');
      expect(await readAll(await b().getStream('r/digits', { range: { start: 3, end: 3 } }))).toBe('');
    });

    it('handles objects of a few MiB: whole, ranged, streamed in', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
      await b().put('big/bytes', big);
      await b().put('big/streamed', Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
      expect((await b().get('big/bytes'))?.equals(big)).toBe(true);
      expect((await b().get('big/streamed'))?.equals(big)).toBe(true);
      expect(await b().size('big/bytes')).toBe(big.length);
      const parts: Buffer[] = [];
      for await (const c of (await b().getStream('big/bytes', { range: { start: 100, end: 2_000_100 } }))!) parts.push(c as Buffer);
      expect(Buffer.concat(parts).equals(big.subarray(100, 2_000_100))).toBe(true);
    });

    it('delete removes an object; deleting a missing key is fine', async () => {
      await b().put('d/x', 'x');
      await b().delete('d/x');
      expect(await b().get('d/x')).toBeNull();
      await b().delete('d/x');
      await b().delete('d/never');
    });

    it('put overwrites atomically: a reader sees the whole old or the whole new object', async () => {
      const olds = Buffer.alloc(256 * 1024, 'a');
      const news = Buffer.alloc(256 * 1024, 'b');
      await b().put('big/obj', olds);
      let done = false;
      const writes = (async () => {
        for (let i = 0; i < 8; i++) await b().put('big/obj', i % 2 === 0 ? news : olds);
      })().finally(() => {
        done = true;
      });
      let reads = 0;
      while (!done) {
        const got = await b().get('big/obj');
        expect(got !== null && (got.equals(olds) || got.equals(news))).toBe(true);
        reads++;
      }
      await writes;
      expect(reads).toBeGreaterThan(0);
      expect((await b().get('big/obj'))?.equals(olds)).toBe(true);
    });

    it('a failed streaming put leaves the previous object in place', async () => {
      await b().put('f/obj', 'before');
      const failing = new Readable({
        read() {
          this.push('partial');
          this.destroy(new Error('source broke'));
        },
      });
      await rejectionOf(b().put('f/obj', failing));
      expect((await b().get('f/obj'))?.toString('utf8')).toBe('before');
      expect(await b().list('f/')).toEqual(['f/obj']);
    });
  });
}

function describeListAndKeys(b: () => BlobStore): void {
  describe('list and keys', () => {
    it('lists keys under a prefix in lexical order', async () => {
      for (const k of ['a/b/2', 'a/b/10', 'a/b/1', 'a/c', 'ab', 'a/b/1x/deep', 'z']) await b().put(k, k);
      expect(await b().list('a/')).toEqual(['a/b/1', 'a/b/10', 'a/b/1x/deep', 'a/b/2', 'a/c']);
      expect(await b().list('a/b/1')).toEqual(['a/b/1', 'a/b/10', 'a/b/1x/deep']);
      expect(await b().list('a')).toEqual(['a/b/1', 'a/b/10', 'a/b/1x/deep', 'a/b/2', 'a/c', 'ab']);
      expect(await b().list('')).toEqual(['a/b/1', 'a/b/10', 'a/b/1x/deep', 'a/b/2', 'a/c', 'ab', 'z']);
      expect(await b().list('nothing/')).toEqual([]);
    });

    it('refuses keys that are empty, absolute, or climb out with ".."', async () => {
      for (const key of ['', '/etc/passwd', '../outside', 'jobs/../../outside', 'a//b', 'a/b/']) {
        await expect(b().put(key, 'x'), key).rejects.toThrow();
        await expect(b().get(key), key).rejects.toThrow();
      }
      await expect(b().list('../')).rejects.toThrow();
    });
  });
}
