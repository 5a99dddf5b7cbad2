/**
 * How many frames the WAL of a SQLite file holds, and how many of them are
 * already in the database, read from its wal-index (the -shm file) without a
 * connection or a lock: the checkpointer's look before it decides to
 * checkpoint (each checkpoint syncs the WAL and the file, so it runs only
 * when there is enough to copy). Layout: https://www.sqlite.org/walformat.html
 * §2.1: the header's iVersion (u32, 3007000) at 0, mxFrame (u32) at 16,
 * nBackfill (u32) at 96, in the machine's byte order. A torn read (a writer
 * updating the header meanwhile) gives an old or a new value, both fine
 * for a heuristic; a file that is not such a wal-index gives null.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

export interface WalFrames {
  /** Frames in the WAL (since it last started over). */
  frames: number;
  /** Of those, the ones already copied into the database. */
  backfilled: number;
}

const WAL_INDEX_VERSION = 3007000;
const HEADER_BYTES = 100;

export class WalIndexReader {
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(HEADER_BYTES);
  private readonly le = endianness() === 'LE';

  constructor(private readonly shmFile: string) {}

  /** The counts now; null when the -shm file is missing or not a wal-index this reader knows. */
  read(): WalFrames | null {
    try {
      this.fd ??= openSync(this.shmFile, 'r');
      if (readSync(this.fd, this.buf, 0, HEADER_BYTES, 0) < HEADER_BYTES) return null;
    } catch {
      this.close();
      return null;
    }
    const u32 = (at: number) => (this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at));
    if (u32(0) !== WAL_INDEX_VERSION) return null;
    return { frames: u32(16), backfilled: u32(96) };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
