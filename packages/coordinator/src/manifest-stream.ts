/**
 * A manifest as a stream: written into the blob store batch by batch as the
 * input is split, and read back the same way, so no process ever holds a
 * job's whole batch list (a 1,000,000-batch manifest is ~200 MB of JSON).
 *
 * The layout is still one JSON document (`JSON.parse` reads it whole, as
 * older manifests were read), with one batch per line:
 *
 *   {"v":1,"jobId":…,"createdAt":…,"format":…,"batches":[
 *   {…batch 0…},
 *   {…batch 1…}
 *   ],"files":[…],"totals":{…}}
 *
 * The files and totals come last because they are known only once the last
 * batch is out. The blob appears whole or not at all: the blob store's put
 * is atomic (a temp file renamed; an S3 multipart upload completed at end).
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import type { Backend, BatchDescriptor, Manifest } from '@djc/core';
import { BatchLines } from './manifest-line.js';

export type ManifestHead = Pick<Manifest, 'v' | 'jobId' | 'createdAt' | 'format'>;
export type ManifestTail = Pick<Manifest, 'files' | 'totals'>;

const HEAD_END = ',"batches":[';

/**
 * Batch lines per write to the body. A piece of ~10 KB is a young string
 * that dies in the next scavenge; prepare's whole chunk of 2,000 lines
 * (~330 KB) was a large object in the old generation every time, and with
 * the daemon's 1 MiB semi-spaces and 25% heap growth its full GCs followed:
 * 1,000,000 lines cost 1.64-1.72 s of CPU in one write per 2,000, 1.08-1.17
 * in writes of 64-128 (same bytes).
 */
const LINES_PER_WRITE = 64;

/** Writes one manifest: `add` each batch in order, then `close` with the files and totals (or `abort`). */
export class ManifestWriter {
  private readonly body = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly stored: Promise<void>;
  private readonly lines = new BatchLines();
  private batches = 0;

  constructor(backend: Backend, key: string, head: ManifestHead, signal?: AbortSignal) {
    // abort() destroys the body with the prepare's error: the put sees it
    // through its own pipeline, but may not be reading yet (the local store
    // opens its temp file first), and an 'error' nobody listens to kills the
    // process (a CSV with a stray quote crashed `djc run` so).
    this.body.on('error', () => undefined);
    this.stored = backend.blobs.put(key, this.body, { signal });
    // Observed by add (a failed put ends the wait for drain) and by close.
    this.stored.catch(() => undefined);
    this.body.write(`${JSON.stringify(head).slice(0, -1)}${HEAD_END}`);
  }

  /** Appends batches, in order (a write per LINES_PER_WRITE); waits while the blob store is behind. */
  async add(batches: readonly BatchDescriptor[]): Promise<void> {
    let ok = true;
    for (let i = 0; i < batches.length; i += LINES_PER_WRITE) {
      let text = '';
      const end = Math.min(batches.length, i + LINES_PER_WRITE);
      for (let k = i; k < end; k++) text += `${this.batches + k === 0 ? '\n' : ',\n'}${this.lines.line(batches[k] as BatchDescriptor)}`;
      ok = this.body.write(text);
    }
    this.batches += batches.length;
    if (!ok) await Promise.race([once(this.body, 'drain'), this.stored.then(() => undefined)]);
  }

  get count(): number {
    return this.batches;
  }

  /** Ends the manifest; resolves once the blob is stored. */
  async close(tail: ManifestTail): Promise<void> {
    this.body.end(`\n],"files":${JSON.stringify(tail.files)},"totals":${JSON.stringify(tail.totals)}}\n`);
    await this.stored;
  }

  /** Drops the manifest being written (nothing is stored). */
  async abort(reason: unknown): Promise<void> {
    this.body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    await this.stored.catch(() => undefined);
  }
}

/** What a streamed read of a manifest yields: its head, then each batch, then its tail. */
export type ManifestPart =
  | { type: 'head'; head: ManifestHead }
  | { type: 'batch'; batch: BatchDescriptor }
  | { type: 'tail'; tail: ManifestTail };

/**
 * Reads a manifest part by part. A manifest written whole on one line (by
 * versions before the stream) is parsed whole: those were never large.
 */
export async function* readManifest(body: Readable): AsyncGenerator<ManifestPart> {
  let state: 'head' | 'batches' | 'done' | 'whole' = 'head';
  const older: string[] = [];
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (state === 'whole') {
      older.push(line);
    } else if (state === 'head') {
      if (!line.endsWith(HEAD_END)) {
        older.push(line);
        state = 'whole';
        continue;
      }
      yield { type: 'head', head: JSON.parse(`${line.slice(0, -HEAD_END.length)}}`) as ManifestHead };
      state = 'batches';
    } else if (state === 'batches') {
      if (line.startsWith('],')) {
        yield { type: 'tail', tail: JSON.parse(`{${line.slice(2)}`) as ManifestTail };
        state = 'done';
      } else {
        yield { type: 'batch', batch: JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as BatchDescriptor };
      }
    } else if (line.trim() !== '') {
      throw new Error('unexpected text after the end of the manifest');
    }
  }
  if (state === 'whole') yield* whole(older.join('\n'));
  else if (state !== 'done') throw new Error('the manifest ends early');
}

/** An older manifest: one JSON document. */
function* whole(text: string): Generator<ManifestPart> {
  const m = JSON.parse(text) as Manifest;
  yield { type: 'head', head: { v: m.v, jobId: m.jobId, createdAt: m.createdAt, format: m.format } };
  for (const batch of m.batches) yield { type: 'batch', batch };
  yield { type: 'tail', tail: { files: m.files, totals: m.totals } };
}
