/**
 * Feeding a batch to a command handler: the batch's byte stream (core's
 * `batchBytes`, which checks every record and leaves bad ones out) written
 * to the command's stdin or its input file, and its bad records written to
 * a dead-letter file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { deadLetterRecords, type BadRecordPolicy, type BadRecordSink } from '@djc/core/worker';
import type { AttemptOutput } from './types.js';

/**
 * Writes `chunks` to `dest` and ends it. If `dest` goes away early (a
 * command that exits without reading all of its stdin), the rest of the
 * chunks is still read, unwritten, so the batch's tally covers the whole
 * batch. Stops reading when `stopped()` says so (the attempt is being
 * killed). Rejects with what reading the batch threw; resolves with an
 * error of `dest` other than its going away (undefined if none).
 */
export async function pumpBatch(chunks: AsyncIterable<Buffer>, dest: Writable, stopped: () => boolean): Promise<unknown> {
  let open = true;
  let destError: unknown;
  const onError = (e: unknown) => {
    open = false;
    if (!isPipeClosed(e)) destError ??= e;
  };
  const onClose = () => {
    open = false;
  };
  dest.on('error', onError);
  dest.on('close', onClose);
  try {
    for await (const chunk of chunks) {
      if (stopped()) return undefined;
      if (open && !dest.write(chunk)) await drained(dest);
    }
    if (open) {
      dest.end();
      await finished(dest).catch(onError);
    }
    return destError;
  } catch (e) {
    dest.destroy();
    throw e;
  } finally {
    dest.off('close', onClose);
    if (open && stopped()) dest.destroy();
  }
}

/** Resolves on 'drain', or when `dest` closes or fails (the pump then stops writing). */
function drained(dest: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      dest.off('drain', done);
      dest.off('close', done);
      dest.off('error', done);
      resolve();
    };
    dest.on('drain', done);
    dest.on('close', done);
    dest.on('error', done);
  });
}

/** The other end went away: the command exited without reading all its stdin. */
export function isPipeClosed(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

/**
 * The bad records of one command attempt: counted by the tally of the
 * batch stream; under dead_letter also written, one JSON line each, to a
 * file in the attempt's scratch directory (never held in memory).
 */
export class DeadLetterFile {
  private out: WriteStream | null = null;
  private written = 0;
  /** For `batchBytes`: undefined under fail (a bad record fails the attempt). */
  readonly sink: BadRecordSink | undefined;

  constructor(policy: BadRecordPolicy, private readonly path: string) {
    this.sink = policy === 'fail' ? undefined : (d) => {
      if (policy !== 'dead_letter') return;
      this.out ??= createWriteStream(this.path);
      this.out.write(`${JSON.stringify(d)}\n`);
      this.written += deadLetterRecords(d);
    };
  }

  /** Flushes the file; the dead letters to store, or null when there are none. */
  async close(): Promise<AttemptOutput | null> {
    const out = this.out;
    if (out === null) return null;
    this.out = null;
    out.end();
    await finished(out);
    return this.written > 0 ? { type: 'file', path: this.path } : null;
  }
}
