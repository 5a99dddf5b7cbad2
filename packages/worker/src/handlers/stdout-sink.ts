/**
 * Where a command handler's stdout goes in io "stdin" mode: kept in memory
 * while it is small enough to be stored inline in the task record
 * (MAX_INLINE_OUTPUT_BYTES), written to a file once it grows past that. A
 * short command with a small output thus costs no scratch directory, no
 * file to write, and no file to read back when the output is stored.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { MAX_INLINE_OUTPUT_BYTES } from '@djc/core/worker';
import type { AttemptOutput } from './types.js';

export class StdoutSink extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: FileHandle | null = null;

  /** `path`: the file the output spills to; its directory is created then. `limit`: bytes kept in memory. */
  constructor(private readonly path: string, private readonly limit = MAX_INLINE_OUTPUT_BYTES) {
    super();
  }

  /** The output once the sink has finished: in memory, or the file it spilled to. */
  output(): AttemptOutput {
    return this.file === null ? { type: 'buffer', data: Buffer.concat(this.chunks, this.size) } : { type: 'file', path: this.path };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.file === null && this.size + chunk.byteLength <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      cb();
      return;
    }
    this.spill(chunk).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    const file = this.file;
    if (file === null) cb();
    else file.close().then(() => cb(), cb);
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    const file = this.file;
    if (file === null) cb(e);
    else file.close().then(() => cb(e), () => cb(e));
  }

  /** Writes `chunk` to the file, opening it (with what was kept so far) on the first spill. */
  private async spill(chunk: Buffer): Promise<void> {
    if (this.file === null) {
      await mkdir(dirname(this.path), { recursive: true });
      const file = await open(this.path, 'w');
      if (this.destroyed) {
        await file.close();
        return;
      }
      this.file = file;
      const kept = Buffer.concat(this.chunks, this.size);
      this.chunks = [];
      if (kept.byteLength > 0) await writeAll(this.file, kept);
    }
    await writeAll(this.file, chunk);
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const { bytesWritten } = await file.write(data, off, data.byteLength - off);
    off += bytesWritten;
  }
}

/**
 * Pipes `src` into `sink`; resolves once src has ended and the sink has
 * finished. As stream.pipeline does, an error on either side (or src closed
 * before its end: ERR_STREAM_PREMATURE_CLOSE) destroys both and rejects, so
 * a command never blocks on a stdout nobody reads. pipeline's own
 * bookkeeping (an AbortController and end-of-stream watchers per stream)
 * costs more than the rest of a small command's output path.
 */
export function pipeInto(src: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const fail = (e: unknown): void => {
      src.destroy();
      sink.destroy();
      reject(e);
    };
    src.once('end', () => (ended = true));
    src.once('close', () => {
      if (!ended) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
    src.once('error', fail);
    sink.once('error', fail);
    sink.once('finish', () => resolve());
    src.pipe(sink);
  });
}
