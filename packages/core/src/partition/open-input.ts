import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { DjcError } from '../errors.js';

/** Opens an input file for reading; a missing, unreadable or non-regular file is INPUT_INVALID. */
export async function openInput(file: string): Promise<{ fh: FileHandle; stat: Stats }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
    throw new DjcError('INPUT_INVALID', `${file}: cannot open input: ${why}`, { cause: e });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) {
      throw new DjcError('INPUT_INVALID', `${file}: not a regular file`, {
        hint: 'name files, or a glob such as dir/*.jsonl, in input.path',
      });
    }
    return { fh, stat };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function fileChanged(file: string, detail: string): DjcError {
  return new DjcError('INPUT_INVALID', `${file}: the file changed while djc was reading it (${detail})`, {
    hint: 'do not modify input files while a job runs; submit the job again',
  });
}
