// Test helpers: real input files in a temp dir, and AttemptSpecs for them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchDescriptor } from '@djc/core';
import type { AttemptResult, AttemptSpec } from '../src/handlers/index.js';

export const FIXTURES = dirname(fileURLToPath(import.meta.url));

export function fixture(name: string, exportName?: string): string {
  return join(FIXTURES, name) + (exportName ? `#${exportName}` : '');
}

/** A temp dir removed by `cleanup()`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'djc-handlers-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `dir/name` and describes the whole file as one batch of `records` records. */
export function writeBatch(dir: string, name: string, text: string, records: number, extra: Partial<BatchDescriptor> = {}): BatchDescriptor {
  const file = join(dir, name);
  writeFileSync(file, text);
  return { index: 0, file, start: 0, end: Buffer.byteLength(text), firstRecord: 0, records, ...extra };
}

let n = 0;

/** An AttemptSpec with sensible defaults; `tmpDir` is a fresh dir inside `dir`. */
export function spec(dir: string, batch: BatchDescriptor, over: Partial<AttemptSpec> & { module?: string; command?: string; io?: 'stdin' | 'file'; env?: Record<string, string> }): AttemptSpec {
  const { module, command, io, env, ...rest } = over;
  const tmp = join(dir, `attempt-${++n}`);
  mkdirSync(tmp);
  return {
    jobId: 'job-1',
    taskId: batch.index,
    attempt: 1,
    batch,
    input: { format: 'jsonl', csv: { delimiter: ',', header: true, quote: '"' } },
    handler: { module, command, io: io ?? 'stdin', env: env ?? {} },
    baseDir: dir,
    timeoutMs: 20_000,
    tmpDir: tmp,
    signal: new AbortController().signal,
    ...rest,
  };
}

/** A successful attempt's output as text; a failed attempt throws with its error and log. */
export function output(r: AttemptResult): string {
  if (!r.ok) throw new Error(`attempt failed: ${r.failure}: ${r.error}\n${r.log}`);
  return r.output.type === 'file' ? readFileSync(r.output.path, 'utf8') : r.output.data.toString('utf8');
}

/** True while `pid` is a live process (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
