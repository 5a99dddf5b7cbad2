/**
 * Local input files read with blocking system calls instead of through
 * libuv's thread pool. Meant for a thread that runs one attempt at a time
 * and nothing else (a module handler's thread): there, each file operation
 * of a small batch (open, fstat, read, fstat, close) would otherwise cost
 * two hand-offs between threads, more than the operation itself. Off by
 * default: a process whose event loop serves other work must not block on
 * its input.
 */
import { DjcError } from '../errors.js';
import type { InputSource, InputStat } from './input-source.js';
import { cannotOpen, INPUT_OPEN_FLAGS, notRegularFile } from './open-errors.js';

// Not `import … from 'node:fs'`: an ESM import builds fs's namespace, whose getters load
// fs/promises, readline and Node's streams (~5 ms of a short process); see partition-input.ts.
const { closeSync, fstatSync, openSync, readSync } = process.getBuiltinModule('node:fs');

let enabled = false;

/** Reads local inputs with blocking calls in this thread from now on (`false`: through the thread pool again). */
export function useBlockingLocalReads(on = true): void {
  enabled = on;
}

export function blockingReads(): boolean {
  return enabled;
}

export function openBlockingLocal(file: string): Promise<InputSource> {
  let fd: number;
  try {
    fd = openSync(file, INPUT_OPEN_FLAGS);
  } catch (e) {
    return Promise.reject(cannotOpen(file, e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegularFile(file, st);
    return Promise.resolve(new BlockingLocalSource(file, fd, st));
  } catch (e) {
    closeSync(fd);
    return Promise.reject(e instanceof DjcError ? e : cannotOpen(file, e));
  }
}

class BlockingLocalSource implements InputSource {
  readonly guarded = false;
  readonly size: number;
  readonly mtimeMs: number;
  private fd: number | null;

  constructor(readonly name: string, fd: number, st: InputStat) {
    this.fd = fd;
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    try {
      return Promise.resolve({ bytesRead: readSync(this.open(), buffer, offset, length, position) });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  stat(): Promise<InputStat> {
    try {
      const { size, mtimeMs } = fstatSync(this.open());
      return Promise.resolve({ size, mtimeMs });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    return Promise.resolve();
  }

  private open(): number {
    if (this.fd === null) throw new Error(`${this.name}: read after close`);
    return this.fd;
  }
}
