/** Why a local input file cannot be read, worded once for every way of opening it. */
import type { Stats } from 'node:fs';
import { DjcError } from '../errors.js';

// Not `import … from 'node:fs'`: an ESM import builds fs's namespace, whose getters load
// fs/promises, readline and Node's streams (~5 ms of a short process); see partition-input.ts.
const { constants } = process.getBuiltinModule('node:fs');

/**
 * Flags for opening a local input: read-only and non-blocking, so that
 * opening a FIFO returns at once (its fstat then refuses it) instead of
 * blocking a thread until a writer appears, which no signal could end.
 * O_NONBLOCK changes nothing for regular files.
 */
export const INPUT_OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

export function cannotOpen(file: string, e: unknown): DjcError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(e);
  const hint = code === 'EACCES'
    ? 'make the file readable by the user that runs djc and its workers'
    : code === 'ENOENT' ? 'check input.path (relative to the job file); an input must stay in place until the job ends' : undefined;
  return new DjcError('INPUT_INVALID', `${file}: cannot open input: ${why}`, { cause: e, hint });
}

export function notRegularFile(file: string, st?: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket'>): DjcError {
  const what = st?.isDirectory() ? 'a directory' : st?.isFIFO() ? 'a FIFO (named pipe)' : st?.isSocket() ? 'a socket' : 'not a regular file';
  return new DjcError('INPUT_INVALID', `${file}: ${what === 'not a regular file' ? what : `is ${what}, not a regular file`}`, {
    hint: st?.isDirectory()
      ? 'name files, or a glob such as dir/*.jsonl, in input.path; or set input.format: files to hand each file under it to the handler'
      : 'djc reads an input more than once (to split it, then each batch): write the data to a regular file first',
  });
}
