import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  blobKeys,
  DjcError,
  importUserFunction,
  homeModes,
  type Backend,
  type JobRecord,
  type Logger,
  type OutputKind,
  type ReducerContext,
  type TaskOutputRef,
  type TaskRecord,
} from '@djc/core';
import { reduceWithCommand } from './reduce-command.js';

/**
 * Gathers the outputs of the succeeded tasks, in batch order, into the job
 * result: concatenated, or folded by the reducer (a module's function, or a
 * command that reads them on stdin). Writes to output.path
 * (atomically: temp file + rename) or, without one, to the blob store.
 * A pipeline's stage run writes to the blob store ALWAYS (its downstream
 * stages read it there, on any machine), and also to output.path when set.
 * Returns where the result went, or null for aggregate: none.
 */
export async function aggregateOutputs(backend: Backend, job: JobRecord, log: Logger): Promise<string | null> {
  const out = job.config.output;
  if (out.aggregate === 'none' && !out.reduce && !out.reduce_command) return null;
  const body = out.reduce
    ? await reduceOutputs(backend, job, out.reduce, log)
    : out.reduce_command
      ? reduceWithCommand(out.reduce_command, job, concatOutputs(backend, job), log)
      : concatOutputs(backend, job);
  const key = blobKeys.result(job.jobId);
  if (!out.path || job.kind === 'stage') await backend.blobs.put(key, body);
  if (!out.path) return `blob:${key}`;
  const content = job.kind === 'stage' ? await backend.blobs.getStream(key) : body;
  if (content === null) throw new DjcError('INTERNAL', `the result of ${job.jobId} is missing from the blob store (${key})`, { jobId: job.jobId });
  await writeAtomically(out.path, content);
  return out.path;
}

/** Writes the file through a temp file and a rename, so readers never see half of it. */
async function writeAtomically(path: string, body: string | Uint8Array | Readable): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.djc-tmp-${process.pid}`;
  try {
    await pipeline(typeof body === 'string' || body instanceof Uint8Array ? Readable.from([body]) : body, createWriteStream(tmp, { mode: homeModes().file }));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Inline outputs are gathered into chunks of about this size. */
const HELD_BYTES = 64 * 1024;

/**
 * Succeeded tasks with an output (inline or a blob), in batch order, a page
 * at a time. Each page gives the event loop a turn: the local backend
 * answers without I/O, and a 1,000,000-task finalize that never yielded
 * stalled the daemon for 21 s, past its lock's TTL.
 */
export async function* succeededTasks(backend: Backend, jobId: string): AsyncGenerator<TaskRecord> {
  let after = -1;
  for (;;) {
    const page = await backend.state.listTasks(jobId, { status: 'SUCCEEDED', after, limit: 1000 });
    if (page.length === 0) return;
    for (const t of page) if (t.outputKey !== null || t.inlineOutput !== null) yield t;
    after = (page[page.length - 1] as TaskRecord).taskId;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The outputs of the succeeded tasks that have one, in batch order, a page
 * at a time as succeededTasks, through StateStore.listOutputs: finalize's
 * reads without each task's whole record (at 200,000 tasks listTasks was
 * 2.4 s of CPU, half of it parsing every row's batch).
 */
async function* succeededOutputs(backend: Backend, jobId: string): AsyncGenerator<TaskOutputRef> {
  let after = -1;
  for (;;) {
    const page = await backend.state.listOutputs(jobId, { after, limit: 1000 });
    if (page.length === 0) return;
    for (const t of page) if (t.outputKey !== null || t.inlineOutput !== null) yield t;
    after = (page[page.length - 1] as TaskOutputRef).taskId;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function concatOutputs(backend: Backend, job: JobRecord): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    // Inline outputs are tiny: copied into chunks of HELD_BYTES as they come (not the whole run: a job whose
    // outputs were all inline held its whole result, one Buffer per task, 962 MiB at 1,000,000 tasks): one
    // Buffer per chunk, no view per task (less garbage for finalize's heap to promote and keep).
    let held: Buffer | null = null;
    let heldBytes = 0;
    for await (const t of succeededOutputs(backend, job.jobId)) {
      const inline = t.inlineOutput;
      if (inline !== null && inline.byteLength < HELD_BYTES) {
        if (held !== null && heldBytes + inline.byteLength > HELD_BYTES) {
          yield held.subarray(0, heldBytes);
          held = null;
        }
        if (held === null) {
          held = Buffer.allocUnsafe(HELD_BYTES);
          heldBytes = 0;
        }
        held.set(inline, heldBytes);
        heldBytes += inline.byteLength;
        continue;
      }
      if (held !== null) yield held.subarray(0, heldBytes);
      held = null;
      if (inline !== null) {
        yield Buffer.from(inline.buffer, inline.byteOffset, inline.byteLength); // as big as a chunk: alone
        continue;
      }
      const stream = await backend.blobs.getStream(t.outputKey ?? '');
      if (!stream) throw missingOutput(job.jobId, t);
      for await (const c of stream) yield c as Buffer;
    }
    if (held !== null) yield held.subarray(0, heldBytes);
  }
  return Readable.from(chunks());
}

/** A succeeded task's output bytes: inline in its record, or read from the blob store. */
async function outputOf(backend: Backend, jobId: string, t: TaskOutputRef): Promise<Buffer> {
  if (t.inlineOutput !== null) return Buffer.from(t.inlineOutput.buffer, t.inlineOutput.byteOffset, t.inlineOutput.byteLength);
  const buf = t.outputKey === null ? null : await backend.blobs.get(t.outputKey);
  if (!buf) throw missingOutput(jobId, t);
  return buf;
}

async function reduceOutputs(backend: Backend, job: JobRecord, ref: string, log: Logger): Promise<string | Uint8Array> {
  const reducer = await importUserFunction(ref, 'output.reduce');
  async function* outputs(): AsyncGenerator<unknown> {
    for await (const t of succeededOutputs(backend, job.jobId)) {
      yield decodeOutput(await outputOf(backend, job.jobId, t), t.outputKind ?? 'raw');
    }
  }
  let result: unknown;
  try {
    const ctx: ReducerContext = { jobId: job.jobId, log: log.child({ jobId: job.jobId, reducer: ref }) };
    result = await reducer(outputs(), ctx);
  } catch (e) {
    if (e instanceof DjcError) throw e;
    throw new DjcError('HANDLER_FAILED', `output.reduce threw: ${(e as Error).message ?? String(e)}`, { cause: e, jobId: job.jobId });
  }
  return encodeResult(result);
}

/** A batch output as the reducer sees it: the array or object the handler returned, or the raw text. */
export function decodeOutput(buf: Buffer, kind: OutputKind): unknown {
  const text = buf.toString('utf8');
  if (kind === 'json') return JSON.parse(text);
  if (kind === 'json-lines') return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
  return text;
}

/** Same rules as handler output: array → JSON lines, string/bytes as is, anything else → one JSON line. */
export function encodeResult(v: unknown): string | Uint8Array {
  if (typeof v === 'string' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map((x) => `${JSON.stringify(x)}\n`).join('');
  if (v === undefined) return '';
  return `${JSON.stringify(v)}\n`;
}

function missingOutput(jobId: string, t: TaskOutputRef): DjcError {
  return new DjcError('INTERNAL', `output of task ${t.taskId} is missing from the blob store (${t.outputKey})`, { jobId, taskId: t.taskId });
}
