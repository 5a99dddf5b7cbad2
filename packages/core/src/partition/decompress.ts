/**
 * Compressed inputs (gzip, zstd). A compressed stream cannot be entered in
 * the middle, so a compressed file is one batch (it is not split); its
 * records are counted when its task runs. Workers decompress it as they read
 * (memory: a few buffers). Offsets inside such a batch (dead letters, bad
 * record errors) are in the decompressed stream, after a byte order mark.
 *
 * gzip: node:zlib (concatenated members included). zstd: node:zlib where
 * Node has it (22.15+), else fzstd (pure JS), so Node 20 reads it too.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { DjcError } from '../errors.js';
import { readChunks } from './chunk-reader.js';
import type { PositionalReader } from './input-source.js';
import { bomLength } from './record-scanner.js';
import type { Compression } from './compression.js';

export { compressionOf, type Compression, type CompressionSetting } from './compression.js';

/**
 * The decompressed bytes of `src` (compressed bytes [0, size)) as a
 * positional reader whose reads must come in order, from offset 0, as
 * readChunks makes them. A byte order mark at the start is dropped.
 * Bytes that do not decompress are INPUT_INVALID naming the file.
 */
export class DecompressedReader implements PositionalReader {
  private readonly it: AsyncIterator<Buffer>;
  private rest: Buffer | null = null;
  private at = 0;
  private first = true;

  constructor(private readonly src: PositionalReader & { size: number; name: string }, private readonly compression: Compression, bufferSize: number) {
    this.it = this.inflate(bufferSize)[Symbol.asyncIterator]();
  }

  /** Stops decompressing (a reader that leaves early); the source is the caller's to close. */
  async close(): Promise<void> {
    await this.it.return?.(undefined);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position !== this.at) throw new Error(`internal: decompressed reads must be sequential (at ${this.at}, asked ${position})`);
    let n = 0;
    while (n < length) {
      let chunk = this.rest;
      this.rest = null;
      if (chunk === null) {
        const r = await this.it.next();
        if (r.done) break;
        chunk = r.value;
        if (this.first) {
          this.first = false;
          chunk = chunk.subarray(bomLength(chunk));
        }
      }
      const take = Math.min(chunk.length, length - n);
      chunk.copy(buffer, offset + n, 0, take);
      if (take < chunk.length) this.rest = chunk.subarray(take);
      n += take;
    }
    this.at += n;
    return { bytesRead: n };
  }

  /** The decompressed stream, in chunks (at least 3 bytes first, so a byte order mark is seen whole). */
  private async *inflate(bufferSize: number): AsyncGenerator<Buffer> {
    const inflater = this.compression === 'gzip' ? zlib.createGunzip() : zstdDecompressor();
    const feed = async () => {
      try {
        for await (const { view } of readChunks(this.src, 0, this.src.size, bufferSize)) {
          if (inflater.destroyed) return;
          if (!inflater.write(Buffer.from(view))) await drainedOrClosed(inflater);
        }
        inflater.end();
      } catch (e) {
        inflater.destroy(e as Error);
      }
    };
    const feeding = feed();
    let head: Buffer | null = null;
    try {
      for await (const chunk of inflater as AsyncIterable<Buffer>) {
        if (head !== null || chunk.length < 3) {
          head = head === null ? chunk : Buffer.concat([head, chunk]);
          if (head.length < 3) continue;
          yield head;
          head = null;
          continue;
        }
        yield chunk;
      }
      if (head !== null) yield head;
    } catch (e) {
      if (e instanceof DjcError) throw e;
      throw new DjcError('INPUT_INVALID', `${this.src.name}: cannot decompress (${this.compression}): ${(e as Error).message}`, {
        cause: e,
        hint: 'check that the file is whole; set input.compression to none if it is not compressed',
      });
    } finally {
      inflater.destroy();
      await feeding;
    }
  }
}

function drainedOrClosed(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** zstd: node:zlib's where it exists (Node 22.15+), else fzstd in a Transform. */
function zstdDecompressor(): Transform {
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (native) return native();
  let push: ((chunk: Uint8Array, final: boolean) => void) | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      try {
        (push as NonNullable<typeof push>)(chunk, false);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        (push as NonNullable<typeof push>)(new Uint8Array(0), true);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
  });
  const z = new Decompress((data) => {
    stream.push(Buffer.from(data)); // a copy: fzstd may reuse its window
  });
  push = (chunk, final) => z.push(chunk, final);
  return stream;
}
