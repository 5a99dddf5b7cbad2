import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 16 * 1024;

/**
 * The last lines a dead worker wrote (pino messages unwrapped), as
 * ": a | b | c", to quote in the job's error; "" when there are none. Reads
 * only the end of the file.
 */
export function tail(file: string, lines = 3): string {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      text = buf.toString('utf8').trim();
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
  if (!text) return '';
  const last = text.split('\n').slice(-lines).map((l) => {
    try {
      const j = JSON.parse(l) as { msg?: string; err?: { message?: string } };
      return j.err?.message ?? j.msg ?? l;
    } catch {
      return l;
    }
  });
  return `: ${last.join(' | ').slice(0, 500)}`;
}
