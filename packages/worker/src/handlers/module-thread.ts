/**
 * Entry of a pooled handler thread (a `worker_threads` Worker). It runs one
 * attempt at a time: import the user's function (once per thread; core
 * caches it), read the batch, call `fn(records, ctx)`, encode the return
 * value and post it back. Log lines go to the main thread as they are
 * written, so they survive a thread that is terminated for a timeout.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { parentPort } from 'node:worker_threads';
import {
  capError, capText, deadLetterRecords, importUserFunction, isDjcError, MAX_ERROR_CHARS, parseModuleRef, readBatchRecords, useBlockingLocalReads,
  type BadRecordPolicy, type BadRecordSink, type DjcError, type HandlerContext,
} from '@djc/core';
import { formatLogLine, type LogLevel } from './log-buffer.js';
import { errorText } from './results.js';
import { encodeOutput } from './output.js';
import type { FromThread, RunMessage, ThreadResult, ToThread } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('module-thread runs inside a worker thread');

/** Handler functions already imported in this thread, by module ref. */
const functions = new Map<string, (...args: unknown[]) => unknown>();

/** The attempt in progress, if any. */
let current: { id: number; controller: AbortController } | null = null;

function post(msg: FromThread): void {
  port?.postMessage(msg);
}

port.on('message', (msg: ToThread) => {
  if (msg.type === 'run') void runAttempt(msg);
  else if (current?.id === msg.id) current.controller.abort(new DOMException(`attempt aborted: ${msg.reason}`, 'AbortError'));
});

captureConsole();
// This thread runs one attempt at a time and nothing else: read local batches
// with blocking calls rather than through the thread pool (two thread
// hand-offs per file operation, more than a small batch's read itself).
useBlockingLocalReads();

async function runAttempt(msg: RunMessage): Promise<void> {
  const controller = new AbortController();
  current = { id: msg.id, controller };
  let result: ThreadResult;
  try {
    result = await execute(msg, controller.signal);
  } catch (e) {
    result = { ok: false, error: `internal error in the handler thread: ${describe(e)}`, retryable: true };
  } finally {
    if (current?.id === msg.id) current = null;
  }
  // Whatever the handler threw, a bounded message crosses to the worker (the full one is in the log).
  if (!result.ok) result = { ...result, error: capError(result.error) };
  post({ type: 'done', id: msg.id, result });
}

async function execute(msg: RunMessage, signal: AbortSignal): Promise<ThreadResult> {
  const log = attemptLogger(msg.id);
  let fn = functions.get(msg.ref);
  try {
    fn ??= await importUserFunction(msg.ref, 'handler.module');
  } catch (e) {
    return setupFailure(e);
  }
  functions.set(msg.ref, fn);
  let records: unknown[];
  const bad = new BadRecords(msg.input.onBadRecord);
  try {
    records = await readAll(msg, bad);
  } catch (e) {
    return readFailure(e, msg);
  }
  // Aborted while importing or reading: the main side reports the abort.
  if (signal.aborted) return { ok: false, error: 'aborted before the handler started', retryable: true };
  let value: unknown;
  try {
    value = await fn(records, makeContext(msg, records.length, signal, log));
  } catch (e) {
    return thrownFailure(e, msg.ref, log);
  }
  try {
    return { ok: true, ...encodeOutput(value), records: records.length, bad: bad.count, deadLetters: bad.text() };
  } catch (e) {
    return { ok: false, error: `handler returned output that cannot be stored: ${describe(e)}`, retryable: false };
  }
}

async function readAll(msg: RunMessage, bad: BadRecords): Promise<unknown[]> {
  const records: unknown[] = [];
  for await (const record of readBatchRecords(msg.batch, msg.input, bad.sink)) records.push(record);
  return records;
}

/** The bad records of an attempt: counted, and kept as JSON lines under dead_letter. */
class BadRecords {
  count = 0;
  private readonly lines: string[] = [];
  readonly sink: BadRecordSink | undefined;

  constructor(policy: BadRecordPolicy) {
    this.sink = policy === 'fail' ? undefined : (d) => {
      this.count += deadLetterRecords(d);
      if (policy === 'dead_letter') this.lines.push(JSON.stringify(d));
    };
  }

  text(): string | null {
    return this.lines.length === 0 ? null : `${this.lines.join('\n')}\n`;
  }
}

type AttemptLogger = Record<LogLevel, (...args: unknown[]) => void>;

function attemptLogger(id: number): AttemptLogger {
  const at = (level: LogLevel) => (...args: unknown[]) => post({ type: 'log', id, text: formatLogLine(level, format(...args)) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The `ctx` a module handler receives. `batch.records` is the number of
 * records handed to it (bad ones left out; a batch split by bytes has no
 * count before); `firstRecord` is null for such a batch (the records
 * before it are not counted).
 */
function makeContext(msg: RunMessage, count: number, signal: AbortSignal, log: AttemptLogger): HandlerContext {
  return {
    jobId: msg.jobId,
    taskId: msg.taskId,
    attempt: msg.attempt,
    batch: { index: msg.batch.index, records: count, firstRecord: msg.batch.firstRecord },
    log,
    signal,
    progress: (done: number) => post({ type: 'progress', id: msg.id, done }),
  };
}

/** Room for a thrown message in the stored error, leaving room for the prefixes and the frame. */
const MESSAGE_CHARS = MAX_ERROR_CHARS - 400;

/** Module or export missing: the config is wrong, another attempt cannot help. */
function setupFailure(e: unknown): ThreadResult {
  return { ok: false, error: errorText(e), retryable: false };
}

function readFailure(e: unknown, msg: RunMessage): ThreadResult {
  if (isDjcError(e, 'INPUT_INVALID') || isDjcError(e, 'CONFIG_INVALID')) return { ok: false, error: errorText(e), retryable: false };
  return { ok: false, error: `cannot read batch ${msg.batch.index} of ${msg.batch.file}: ${describe(e)}`, retryable: true };
}

function thrownFailure(e: unknown, ref: string, log: AttemptLogger): ThreadResult {
  const retryable = !(typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === false);
  if (!(e instanceof Error)) {
    log.error('handler threw a non-Error value:', e);
    return { ok: false, error: `handler threw: ${capText(inspect(e, { breakLength: Infinity, depth: 2 }), MESSAGE_CHARS)}`, retryable };
  }
  log.error(`handler threw: ${e.stack ?? `${e.name}: ${e.message}`}`);
  const frame = userFrame(e.stack, parseModuleRef(ref).file);
  // Cut the message, not the frame after it: "(at count.ts:12:9)" is the useful part of a long one.
  return { ok: false, error: `handler threw: ${e.name}: ${capText(e.message, MESSAGE_CHARS)}${frame ? ` (at ${frame})` : ''}`, retryable };
}

/** "count.ts:12:9" from the first stack line in the handler's own file. */
function userFrame(stack: string | undefined, file: string): string | null {
  if (!stack) return null;
  const base = file.slice(file.lastIndexOf('/') + 1);
  for (const line of stack.split('\n').slice(1)) {
    if (!line.includes(file)) continue;
    const m = /:(\d+):(\d+)\)?\s*$/.exec(line);
    if (m) return `${base}:${m[1]}:${m[2]}`;
  }
  return null;
}


function describe(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' || e.name === 'DjcError' ? '' : `${e.name}: `}${e.message}` : String(e);
}

/** `console.log` and friends in a handler go to the attempt's log, not the worker's stdout. */
function captureConsole(): void {
  const stream = (level: string) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        const text = String(chunk).replace(/\n$/, '');
        if (current) post({ type: 'log', id: current.id, text: formatLogLine(level, text) });
        else process.stderr.write(`${text}\n`);
        callback();
      },
    });
  globalThis.console = new Console({ stdout: stream('stdout'), stderr: stream('stderr') });
}
