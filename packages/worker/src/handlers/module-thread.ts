/**
 * Entry of a pooled handler thread (a `worker_threads` Worker). It runs one
 * attempt at a time, in the order their runs came (the main thread may queue
 * several; thread-pool.ts), and posts each one's result before it starts the
 * next (so when the thread dies, the first attempt without a result is the
 * one that was running): import the user's function (once per thread; core
 * caches it), read the batch, call `fn(records, ctx)`, encode the return
 * value and post it back. Log lines go to the main thread as they are
 * written, so they survive a thread that is terminated for a timeout.
 *
 * Stray errors (a promise the handler did not await that rejects, an
 * exception thrown in one of its callbacks) belong to the attempt whose
 * code created them: each attempt runs in an AsyncLocalStorage context, and
 * Node reports such errors in the context where they arose, so an error a
 * finished batch left behind is never blamed on the batch running now. One
 * that arises while its attempt runs, or in the short settle window after
 * the handler returns (stray-errors.ts), fails that attempt; a later one is
 * sent to the main thread, which logs it against its task.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { parentPort } from 'node:worker_threads';
// The thread's entry of core (thread-api.ts), not its index: a thread's start loads ~30 modules, not ~290.
import {
  capError, capText, deadLetterRecords, importUserFunction, isDjcError, MAX_ERROR_CHARS, parseModuleRef, readBatchRecords, readSmallBatchBlocking, useBlockingLocalReads,
} from '@djc/core/thread';
import type { BadRecordPolicy, BadRecordSink, DjcError, HandlerContext } from '@djc/core';
import { formatLogLine, type LogLevel } from './log-buffer.js';
import { errorText } from './results.js';
import { encodeOutput } from './output.js';
import { settleAfter, strayErrorText, userFrame } from './stray-errors.js';
import type { FromThread, RunMessage, ThreadResult, ToThread } from './thread-protocol.js';
import { startThreadUsage } from './thread-usage.js';

const port = parentPort;
if (!port) throw new Error('module-thread runs inside a worker thread');

/** Handler functions already imported in this thread, by module ref. */
const functions = new Map<string, (...args: unknown[]) => unknown>();

/** The attempt in progress (its settle window included), if any; `stray` is the first stray error it left. */
let current: { id: number; controller: AbortController; ref: string; stray: string | null } | null = null;

/** The attempt id whose code is running: stray errors are reported in the context where they arose. */
const attemptContext = new AsyncLocalStorage<{ id: number; ref: string }>();

/** How long the attempt in progress took to import its module (0 once imported): not part of its measured time. */
let importMs = 0;
/** Of that, how long this thread's event loop sat idle (the import's file reads): not part of the attempt's idle time either. */
let importIdleMs = 0;

/** An exception escaped into the event loop: the thread's state is suspect, so it is retired after the attempt in progress. */
let retire = false;

function post(msg: FromThread): void {
  port?.postMessage(msg);
}

/** Attempts posted and not started, in order, with the controller of each (an abort may come before its turn). */
const queue: Array<{ msg: Run; controller: AbortController }> = [];
let running = false;
/** A result that retired the thread was posted: it starts no attempt after it. */
let stopped = false;

port.on('message', (msg: ToThread) => {
  if (msg.type === 'run') enqueue(msg);
  else if (msg.type === 'runs') for (const run of msg.runs) enqueue(run);
  else abort(msg.id, msg.reason);
});

/** A run as the thread runs it: its input filled in (enqueue). */
type Run = RunMessage & { input: NonNullable<RunMessage['input']> };

/** The input of the last run received: a run without one uses it (thread-protocol.ts). */
let lastInput: RunMessage['input'];

function enqueue(msg: RunMessage): void {
  // The thread's own copy of the message: filled in where it was left out.
  if (msg.input === undefined) msg.input = lastInput;
  else lastInput = msg.input;
  queue.push({ msg: msg as Run, controller: new AbortController() });
  void next();
}

function abort(id: number, reason: string): void {
  const controller = current?.id === id ? current.controller : queue.find((q) => q.msg.id === id)?.controller;
  controller?.abort(new DOMException(`attempt aborted: ${reason}`, 'AbortError'));
}

/** Runs the queued attempts one at a time; none after a result that retired the thread (the main thread runs them elsewhere). */
async function next(): Promise<void> {
  if (running || stopped) return;
  running = true;
  try {
    // A result that says `retire` is the last: the main thread discards the thread after it.
    for (let q = queue.shift(); q && !stopped; q = queue.shift()) await runAttempt(q.msg, q.controller);
  } finally {
    running = false;
  }
}

captureConsole();
process.on('unhandledRejection', (reason) => onStray(reason, 'a promise it did not await rejected'));
process.on('uncaughtException', (e) => {
  retire = true;
  onStray(e, 'an exception was thrown in one of its callbacks');
});
// This thread runs one attempt at a time and nothing else: read local batches
// with blocking calls rather than through the thread pool (two thread
// hand-offs per file operation, more than a small batch's read itself).
useBlockingLocalReads();
// The pool grows only once its threads have started (thread-pool.ts).
post({ type: 'ready' });

async function runAttempt(msg: Run, controller: AbortController): Promise<void> {
  const attempt = { id: msg.id, controller, ref: msg.ref, stray: null as string | null };
  current = attempt;
  const startedAt = Date.now();
  const usage = startThreadUsage();
  const t0 = performance.now();
  const elu = performance.eventLoopUtilization();
  importMs = 0;
  importIdleMs = 0;
  let result: ThreadResult;
  try {
    result = await attemptContext.run({ id: msg.id, ref: msg.ref }, () => execute(msg, controller.signal));
  } catch (e) {
    result = { ok: false, error: `internal error in the handler thread: ${describe(e)}`, retryable: true };
  } finally {
    if (current?.id === msg.id) current = null;
  }
  if (result.ok && attempt.stray !== null) result = { ok: false, error: attempt.stray, retryable: true };
  // Whatever the handler threw, a bounded message crosses to the worker (the full one is in the log).
  if (!result.ok) result = { ...result, error: capError(result.error) };
  stopped = retire;
  const idleMs = Math.max(0, performance.eventLoopUtilization(elu).idle - importIdleMs);
  post({ type: 'done', id: msg.id, result, usage: usage.end(), ms: performance.now() - t0 - importMs, idleMs, startedAt, ...(retire ? { retire: true } : {}) });
}

/**
 * A stray error: it fails its attempt while that attempt is in progress;
 * one of an attempt that already reported is logged against it by the main
 * thread; one with no attempt (e.g. from a module's top level before any)
 * is logged as such.
 */
function onStray(e: unknown, how: string): void {
  const owner = attemptContext.getStore();
  const text = `handler left a stray error: ${how}: ${strayErrorText(e, owner?.ref ?? current?.ref ?? '')}`;
  if (owner !== undefined && current?.id === owner.id) {
    post({ type: 'log', id: owner.id, text: formatLogLine('error', `${text}${e instanceof Error && e.stack ? `\n${e.stack}` : ''}`) });
    current.stray ??= `${text}; await every promise the handler starts`;
    return;
  }
  post({ type: 'stray', id: owner?.id ?? null, error: capError(text) });
}

async function execute(msg: Run, signal: AbortSignal): Promise<ThreadResult> {
  const log = attemptLogger(msg.id);
  let fn = functions.get(msg.ref);
  const importing = performance.now();
  const importElu = performance.eventLoopUtilization();
  try {
    // Outside the attempt's context: what the module's top level starts belongs to no attempt.
    fn ??= await attemptContext.exit(() => importUserFunction(msg.ref, 'handler.module'));
  } catch (e) {
    return setupFailure(e);
  } finally {
    importMs = performance.now() - importing;
    importIdleMs = performance.eventLoopUtilization(importElu).idle;
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
  const started = performance.now();
  try {
    value = await fn(records, makeContext(msg, records.length, signal, log));
  } catch (e) {
    return thrownFailure(e, msg.ref, log);
  }
  // Errors the handler left behind may surface just after it returned: they still fail this attempt.
  await settleAfter(performance.now() - started);
  try {
    return { ok: true, ...encodeOutput(value), records: records.length, bad: bad.count, deadLetters: bad.text() };
  } catch (e) {
    return { ok: false, error: `handler returned output that cannot be stored: ${describe(e)}`, retryable: false };
  }
}

/** The batch's records: a small plain batch in one blocking read (read-batch-blocking.ts), any other through the streaming reader. */
async function readAll(msg: Run, bad: BadRecords): Promise<unknown[]> {
  const small = readSmallBatchBlocking(msg.batch, msg.input);
  if (small !== null) return small;
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
function makeContext(msg: Run, count: number, signal: AbortSignal, log: AttemptLogger): HandlerContext {
  return {
    jobId: msg.jobId,
    taskId: msg.taskId,
    attempt: msg.attempt,
    batch: { index: msg.batch.index, records: count, firstRecord: msg.batch.firstRecord },
    log,
    signal,
    progress: (done: number) => post({ type: 'progress', id: msg.id, done }),
    ...(msg.traceparent ? { traceparent: msg.traceparent } : {}),
  };
}

/** Room for a thrown message in the stored error, leaving room for the prefixes and the frame. */
const MESSAGE_CHARS = MAX_ERROR_CHARS - 400;

/** Module or export missing: the config is wrong, another attempt cannot help. */
function setupFailure(e: unknown): ThreadResult {
  return { ok: false, error: errorText(e), retryable: false };
}

function readFailure(e: unknown, msg: Run): ThreadResult {
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
