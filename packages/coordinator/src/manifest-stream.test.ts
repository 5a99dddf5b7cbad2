import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, BatchDescriptor, Manifest } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { ManifestWriter, readManifest, type ManifestPart } from './manifest-stream.js';

let dir: string;
let backend: Backend;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'djc-manifest-'));
  backend = createLocalBackend({ home: join(dir, '.djc') });
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const head = { v: 1 as const, jobId: 'j-1', createdAt: '2026-12-03T00:00:00.000Z', format: 'jsonl' };
const batch = (index: number): BatchDescriptor => ({
  index, file: '/data/in "quoted",\n.jsonl', start: index * 10, end: index * 10 + 10, firstRecord: index, records: 1,
});
const tail = {
  files: [{ path: '/data/in "quoted",\n.jsonl', size: 50, mtimeMs: 1, records: 5 }],
  totals: { records: 5, bytes: 50, batches: 5 },
};

async function parts(body: Readable): Promise<ManifestPart[]> {
  const out: ManifestPart[] = [];
  for await (const p of readManifest(body)) out.push(p);
  return out;
}

describe('a streamed manifest', () => {
  it('is one JSON document, one batch per line, read back part by part in order', async () => {
    const w = new ManifestWriter(backend, 'jobs/j-1/manifest.json', head);
    await w.add([batch(0), batch(1)]);
    await w.add([]);
    await w.add([batch(2), batch(3), batch(4)]);
    expect(w.count).toBe(5);
    await w.close(tail);
    const text = (await backend.blobs.get('jobs/j-1/manifest.json'))!.toString();
    const whole = JSON.parse(text) as Manifest;
    expect(whole).toEqual({ ...head, ...tail, batches: [0, 1, 2, 3, 4].map(batch) });
    expect(text.trim().split('\n')).toHaveLength(1 + 5 + 1);
    const read = await parts((await backend.blobs.getStream('jobs/j-1/manifest.json'))!);
    expect(read).toEqual([
      { type: 'head', head },
      ...[0, 1, 2, 3, 4].map((i) => ({ type: 'batch', batch: batch(i) })),
      { type: 'tail', tail },
    ]);
  });

  it('adds of more batches than one write holds keep one line each, in order', async () => {
    const w = new ManifestWriter(backend, 'big.json', head);
    const all = Array.from({ length: 300 }, (_, i) => batch(i));
    await w.add(all.slice(0, 1));
    await w.add(all.slice(1, 200));
    await w.add(all.slice(200));
    await w.close(tail);
    const text = (await backend.blobs.get('big.json'))!.toString();
    expect((JSON.parse(text) as Manifest).batches).toEqual(all);
    expect(text.trim().split('\n')).toHaveLength(1 + 300 + 1);
    const read = await parts((await backend.blobs.getStream('big.json'))!);
    expect(read.filter((p) => p.type === 'batch')).toEqual(all.map((b) => ({ type: 'batch', batch: b })));
  });

  it('with no batch is still a document with an empty list', async () => {
    const w = new ManifestWriter(backend, 'm.json', head);
    await w.close({ files: [], totals: { records: 0, bytes: 0, batches: 0 } });
    const text = (await backend.blobs.get('m.json'))!.toString();
    expect((JSON.parse(text) as Manifest).batches).toEqual([]);
    expect((await parts((await backend.blobs.getStream('m.json'))!)).map((p) => p.type)).toEqual(['head', 'tail']);
  });

  it('reads a manifest written whole on one line by older versions', async () => {
    const older: Manifest = { ...head, files: tail.files, batches: [batch(0), batch(1)], totals: tail.totals };
    const read = await parts(Readable.from([JSON.stringify(older)]));
    expect(read).toEqual([
      { type: 'head', head },
      { type: 'batch', batch: batch(0) },
      { type: 'batch', batch: batch(1) },
      { type: 'tail', tail },
    ]);
  });

  it('stores nothing when aborted, and a cut-off manifest is an error, not a shorter list', async () => {
    const w = new ManifestWriter(backend, 'm.json', head);
    await w.add([batch(0)]);
    await w.abort(new Error('input changed'));
    expect(await backend.blobs.get('m.json')).toBeNull();
    const cut = `${JSON.stringify(head).slice(0, -1)},"batches":[\n${JSON.stringify(batch(0))},\n`;
    await expect(parts(Readable.from([cut]))).rejects.toThrow('the manifest ends early');
  });
});
