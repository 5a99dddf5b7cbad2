import type { PositionalReader } from './input-source.js';

/** A view of bytes read from a file; `view[0]` is at file offset `base`. */
export interface Chunk {
  view: Buffer;
  base: number;
}

const NOTHING = Promise.resolve({ bytesRead: 0 });

/**
 * Reads `[start, end)` of an open file (to EOF if `end` is undefined) into two
 * reused buffers, reading the next chunk while the caller scans the current
 * one. A yielded view is valid only until the caller asks for the next chunk,
 * so memory stays at two buffers whatever the file size.
 */
export async function* readChunks(
  fh: PositionalReader,
  start: number,
  end: number | undefined,
  bufferSize: number,
): AsyncGenerator<Chunk, void, undefined> {
  const size = end === undefined ? bufferSize : Math.max(1, Math.min(bufferSize, end - start));
  const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const;
  const readAt = (i: 0 | 1, at: number) => {
    const length = end === undefined ? size : Math.min(size, end - at);
    return length > 0 ? fh.read(bufs[i], 0, length, at) : NOTHING;
  };
  let pos = start;
  let i: 0 | 1 = 0;
  let pending = readAt(0, pos);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const view = bufs[i].subarray(0, bytesRead);
      const base = pos;
      pos += bytesRead;
      i = i === 0 ? 1 : 0;
      pending = readAt(i, pos);
      yield { view, base };
    }
  } finally {
    // The caller may stop early: never leave a read running into a buffer.
    await pending.catch(() => undefined);
  }
}
