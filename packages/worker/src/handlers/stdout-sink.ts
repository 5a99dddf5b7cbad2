/**
 * Where a command handler's stdout goes in io "stdin" mode: kept in memory
 * while it is small enough to be stored inline in the task record
 * (MAX_INLINE_OUTPUT_BYTES), written to a file once it grows past that. A
 * short command with a small output thus costs no scratch directory, no
 * file to write, and no file to read back when the output is stored.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { MAX_INLINE_OUTPUT_BYTES } from '@djc/core/worker';
import type { AttemptOutput } from './types.js';

/**
 * Not a Writable: pipeInto hands it the chunks (a Writable's state, and
 * Readable.pipe's listeners, cost more than keeping the few bytes of a
 * short command's output).
 */
export class StdoutSink {
  private chunks: Buffer[] = [];
  private size = 0;
  private file: FileHandle | null = null;
  /** Set by destroy: nothing more is written, the file (if any) is closed. */
  destroyed = false;

  /** `path`: the file the output spills to (or a function that names it, asked only then); its directory is created then. `limit`: bytes kept in memory. */
  constructor(private readonly path: string | (() => string), private readonly limit = MAX_INLINE_OUTPUT_BYTES) {}

  private get spillPath(): string {
    return typeof this.path === 'string' ? this.path : this.path();
  }

  /** The output once the sink has finished: in memory, or the file it spilled to. */
  output(): AttemptOutput {
    return this.file === null ? { type: 'buffer', data: Buffer.concat(this.chunks, this.size) } : { type: 'file', path: this.spillPath };
  }

  /** Takes `chunk`: null when it was kept in memory, else its write to the file (one at a time: wait for it). */
  write(chunk: Buffer): Promise<void> | null {
    if (this.file === null && this.size + chunk.byteLength <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      return null;
    }
    return this.spill(chunk);
  }

  /** All was written: closes the file, if it spilled. */
  async end(): Promise<void> {
    const file = this.file;
    if (file !== null) await file.close();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    void this.file?.close().catch(() => undefined);
  }

  /** Writes `chunk` to the file, opening it (with what was kept so far) on the first spill. */
  private async spill(chunk: Buffer): Promise<void> {
    if (this.file === null) {
      await mkdir(dirname(this.spillPath), { recursive: true });
      const file = await open(this.spillPath, 'w');
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
 * Reads `src` into `sink`; resolves once src has ended and the sink has
 * finished. As stream.pipeline does, an error on either side (or src closed
 * before its end: ERR_STREAM_PREMATURE_CLOSE) destroys both and rejects, so
 * a command never blocks on a stdout nobody reads. While a chunk is being
 * written to the spill file, src is paused.
 */
export function pipeInto(src: Readable, sink: StdoutSink): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    let settled = false;
    /** The write to the file under way, if any. */
    let writing: Promise<void> | null = null;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      src.destroy();
      sink.destroy();
      reject(e);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      sink.end().then(resolve, (e: unknown) => {
        src.destroy();
        sink.destroy();
        reject(e);
      });
    };
    src.on('data', (chunk: Buffer) => {
      if (settled) return;
      const w = sink.write(chunk);
      if (w === null) return;
      src.pause();
      writing = w;
      w.then(() => {
        writing = null;
        if (settled) return;
        if (ended) finish();
        else src.resume();
      }, fail);
    });
    src.once('end', () => {
      ended = true;
      if (writing === null) finish();
    });
    src.once('close', () => {
      if (!ended) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
    src.once('error', fail);
  });
}
