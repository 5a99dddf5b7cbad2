/**
 * Runs command handlers (`handler.command`) through `/bin/sh -c` in the job
 * YAML's directory, as the leader of a new process group so a timeout or an
 * abort stops the shell and everything it started (SIGTERM, then SIGKILL
 * after a grace period). When the shell exits, processes it left behind in
 * its group are killed: an attempt leaves nothing running.
 *
 * io "stdin": the batch is piped to stdin and stdout is streamed to a file in
 * tmpDir (the output). io "file": the batch is written to $DJC_INPUT first,
 * the output is whatever the command writes to $DJC_OUTPUT, and stdout joins
 * stderr in the attempt log. A Parquet batch arrives as JSON lines (one per
 * row); $DJC_INPUT_FILE and $DJC_PARQUET_ROW_GROUPS ("first,count") name it too.
 *
 * A batch split by bytes has no record count until it runs: its records are
 * counted in the bytes on their way to the command (or, if the command did
 * not read them all, by reading the batch again), with the readers' scanners,
 * so the committed count is what a module handler would have been given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createWriteStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import {
  BatchRecordCounter, capText, countBatchRecords, formatDuration, isDjcError, isS3Url, openBatchStream, type FailureKind,
} from '@djc/core';
import { formatLogLine, LogBuffer, TailLines } from './log-buffer.js';
import { killGroup, waitGroupGone } from './process-group.js';
import { failed, reasonText, timerDelay } from './results.js';
import type { AttemptResult, AttemptSpec } from './types.js';

/** Between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** After the shell exits, how long its stdout/stderr may stay open (held by an escaped process). */
const CLOSE_WAIT_MS = 4000;
/** Each of the last stderr lines quoted in a failed command's error (5 lines). */
const STDERR_LINE_CHARS = 200;

export interface CommandRunner {
  run(spec: AttemptSpec, signal: AbortSignal): Promise<AttemptResult>;
  /** Waits for attempts in flight; the caller aborts their signals first. */
  close(): Promise<void>;
}

export function createCommandRunner(): CommandRunner {
  const active = new Set<Promise<AttemptResult>>();
  return {
    run(spec, signal) {
      const p = new CommandAttempt(spec, signal).run();
      active.add(p);
      void p.finally(() => active.delete(p));
      return p;
    },
    async close() {
      await Promise.allSettled([...active]);
    },
  };
}

type Stop = { failure: FailureKind; error: string; retryable: boolean };
type Exit = { code: number | null; signal: NodeJS.Signals | null; spawnError?: Error; outputError?: unknown };

class CommandAttempt {
  private readonly log = new LogBuffer();
  private readonly stderr = new TailLines(20);
  private readonly files: { input: string; output: string };
  private readonly prep = new AbortController();
  private child: ChildProcess | undefined;
  private stopping: Stop | null = null;
  private killStartedAt = 0;
  private killTimer: NodeJS.Timeout | undefined;
  private exited = false;
  /** The batch could not be read while being piped to stdin. */
  private inputFailure: Stop | null = null;
  /** Counts the batch's records on their way to the command, when the batch has no count yet. */
  private counter: BatchRecordCounter | null = null;

  constructor(private readonly spec: AttemptSpec, private readonly signal: AbortSignal) {
    this.files = { input: join(spec.tmpDir, 'input'), output: join(spec.tmpDir, 'output') };
  }

  async run(): Promise<AttemptResult> {
    const { timeoutMs } = this.spec;
    const timeout = `timed out after ${formatDuration(timeoutMs)} (compute.timeout)`;
    const timer = setTimeout(() => this.stop({ failure: 'timeout', error: timeout, retryable: true }), timerDelay(timeoutMs));
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    if (this.signal.aborted) this.onAbort();
    try {
      const problem = await this.prepare();
      if (problem) return problem;
      if (this.stopping) return this.stoppedResult(null);
      return this.result(await this.spawnAndWait());
    } catch (e) {
      return failed('error', `command handler failed: ${(e as Error).message}`, this.log.toString());
    } finally {
      clearTimeout(timer);
      clearTimeout(this.killTimer);
      this.signal.removeEventListener('abort', this.onAbort);
    }
  }

  private readonly onAbort = (): void => {
    this.stop({ failure: 'signal', error: `attempt aborted: ${reasonText(this.signal.reason)}`, retryable: true });
  };

  /** Checks the working directory and the input file; in io "file" mode, writes the batch to $DJC_INPUT. */
  private async prepare(): Promise<AttemptResult | null> {
    const { baseDir, handler, batch, input } = this.spec;
    const isDir = await stat(baseDir).then((s) => s.isDirectory(), () => false);
    if (!isDir) return failed('error', `cannot run the command: working directory ${baseDir} does not exist`, '');
    try {
      if (batch.records === null) this.counter = new BatchRecordCounter(batch, input);
      const count = handler.io === 'file' ? this.counter : null;
      // A local input must be readable before the command starts; an s3:// one is checked by its first read.
      if (handler.io !== 'file' && !isS3Url(batch.file)) await access(batch.file, constants.R_OK);
      else if (count) await pipeline(openBatchStream(batch, input), count.stream(), createWriteStream(this.files.input), { signal: this.prep.signal });
      else await pipeline(openBatchStream(batch, input), createWriteStream(this.files.input), { signal: this.prep.signal });
      return null;
    } catch (e) {
      if (this.stopping) return this.stoppedResult(null);
      const stop = readFailure(e, this.spec);
      return failed(stop.failure, stop.error, this.log.toString(), { retryable: stop.retryable });
    }
  }

  private async spawnAndWait(): Promise<Exit> {
    const { spec } = this;
    const stdin = spec.handler.io !== 'file';
    const child = spawn('/bin/sh', ['-c', spec.handler.command as string], {
      cwd: spec.baseDir,
      env: this.env(),
      detached: true,
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const output = this.wireOutput(child);
    this.wireStderr(child);
    const fed = stdin ? this.feedStdin(child) : Promise.resolve();
    const exit = await waitClose(child, () => this.onExit(child));
    const outputError = await output.then(() => undefined, (e: unknown) => e);
    await fed;
    if (this.stopping && child.pid !== undefined) await this.reap(child.pid);
    return { ...exit, outputError };
  }

  private env(): NodeJS.ProcessEnv {
    const { spec } = this;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...spec.handler.env,
      DJC_JOB_ID: spec.jobId,
      DJC_TASK_ID: String(spec.taskId),
      DJC_ATTEMPT: String(spec.attempt),
      // Empty for a batch split by bytes: its count is known only once it is read.
      DJC_BATCH_RECORDS: spec.batch.records === null ? '' : String(spec.batch.records),
    };
    if (spec.handler.io === 'file') Object.assign(env, { DJC_INPUT: this.files.input, DJC_OUTPUT: this.files.output });
    // Parquet: the batch also by reference, for a command that reads the row groups itself.
    const groups = spec.batch.rowGroups;
    if (groups) Object.assign(env, { DJC_INPUT_FILE: spec.batch.file, DJC_PARQUET_ROW_GROUPS: `${groups.first},${groups.count}` });
    return env;
  }

  /** io "stdin": stdout streams to the output file. io "file": stdout is log text. */
  private wireOutput(child: ChildProcess): Promise<void> {
    const stdout = child.stdout as NonNullable<ChildProcess['stdout']>;
    if (this.spec.handler.io !== 'file') return pipeline(stdout, createWriteStream(this.files.output));
    const decoder = new StringDecoder('utf8');
    stdout.on('data', (chunk: Buffer) => this.log.append(decoder.write(chunk)));
    return Promise.resolve();
  }

  private wireStderr(child: ChildProcess): void {
    const decoder = new StringDecoder('utf8');
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      this.log.append(text);
      this.stderr.append(text);
    });
  }

  /**
   * Pipes the batch to stdin; settles (never rejects) when done. A command
   * that does not read its stdin (EPIPE) is fine; a read error fails the attempt.
   */
  private feedStdin(child: ChildProcess): Promise<void> {
    const stdin = child.stdin as NonNullable<ChildProcess['stdin']>;
    const fail = (e: unknown) => {
      this.inputFailure = readFailure(e, this.spec);
      this.stop(this.inputFailure);
    };
    let readError: unknown;
    let source: Readable;
    try {
      source = openBatchStream(this.spec.batch, this.spec.input);
    } catch (e) {
      stdin.destroy();
      fail(e);
      return Promise.resolve();
    }
    source.once('error', (e: unknown) => {
      // Node 24 reports the stdin side closing early as an error of the
      // source too ("Premature close"): that is the command's choice, not a
      // read failure.
      if (!isPipeClosed(e)) readError = e;
    });
    const fed = this.counter ? pipeline(source, this.counter.stream(), stdin) : pipeline(source, stdin);
    return fed.catch((e: unknown) => {
      if (readError !== undefined) fail(readError);
      else if (!isPipeClosed(e)) this.log.append(formatLogLine('warn', `[djc] writing the batch to stdin failed: ${(e as Error).message}`));
    });
  }

  /** The shell exited: kill what it left in its group (unless a stop is already under way), and bound the wait for its pipes. */
  private onExit(child: ChildProcess): void {
    this.exited = true;
    if (child.pid !== undefined && !this.stopping) killGroup(child.pid, 'SIGKILL');
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, CLOSE_WAIT_MS).unref();
  }

  /** Stops the attempt: SIGTERM to the process group now, SIGKILL after the grace period. */
  private stop(stop: Stop): void {
    if (this.stopping || this.exited) return;
    this.stopping = stop;
    this.prep.abort();
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.log.append(formatLogLine('error', `[djc] ${stop.error}; sending SIGTERM to the command's process group`));
    this.killStartedAt = Date.now();
    killGroup(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  }

  /** After a stop, waits until the whole group is gone (SIGKILL at the end of the grace period). */
  private async reap(pgid: number): Promise<void> {
    if (await waitGroupGone(pgid, this.killStartedAt + KILL_GRACE_MS)) return;
    killGroup(pgid, 'SIGKILL');
    await waitGroupGone(pgid, Date.now() + 1000);
  }

  private stoppedResult(exitCode: number | null): AttemptResult {
    const s = this.stopping as Stop;
    return failed(s.failure, s.error, this.log.toString(), { retryable: s.retryable, exitCode });
  }

  private async result(exit: Exit): Promise<AttemptResult> {
    const log = this.log.toString();
    if (exit.spawnError) return failed('error', `cannot start the command: ${exit.spawnError.message}`, log);
    if (this.stopping) return this.stoppedResult(exit.code);
    const input = this.inputFailure;
    if (input) return failed(input.failure, input.error, log, { retryable: input.retryable, exitCode: exit.code });
    if (exit.outputError !== undefined && !isPipeClosed(exit.outputError)) {
      return failed('error', `cannot write the command's output to ${this.files.output}: ${(exit.outputError as Error).message}`, log);
    }
    if (exit.signal) return failed('signal', `command killed by ${exit.signal}`, log);
    if (exit.code !== 0) {
      const lines = this.stderr.lines(5).map((l) => capText(l, STDERR_LINE_CHARS));
      const detail = lines.length ? lines.join(' | ') : '(no stderr)';
      return failed('exit_code', `command exited with code ${exit.code}: ${detail}`, log, { exitCode: exit.code });
    }
    const records = await this.recordCount(log);
    if (typeof records !== 'number') return records;
    return { ok: true, kind: 'raw', output: await this.output(), records, log };
  }

  /**
   * The batch's record count: from prepare; else counted in the bytes the
   * command was given, or, when it did not read them all, by reading the
   * batch. An input the counter rejects fails the attempt.
   */
  private async recordCount(log: string): Promise<number | AttemptResult> {
    const { batch, input } = this.spec;
    if (batch.records !== null) return batch.records;
    try {
      const counter = this.counter;
      return counter !== null && counter.complete ? counter.finish() : await countBatchRecords(batch, input);
    } catch (e) {
      const stop = readFailure(e, this.spec);
      return failed(stop.failure, stop.error, log, { retryable: stop.retryable });
    }
  }

  private async output(): Promise<{ type: 'file'; path: string } | { type: 'buffer'; data: Buffer }> {
    const path = this.files.output;
    if (this.spec.handler.io !== 'file') return { type: 'file', path };
    const isFile = await stat(path).then((s) => s.isFile(), () => false);
    return isFile ? { type: 'file', path } : { type: 'buffer', data: Buffer.alloc(0) };
  }
}

/** Resolves when the child has exited and its stdio closed, or when it could not start. */
function waitClose(child: ChildProcess, onExit: () => void): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    child.once('exit', onExit);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

const INPUT_ERRNO: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'not a regular file' };

function readFailure(e: unknown, spec: AttemptSpec): Stop {
  if (isDjcError(e, 'INPUT_INVALID') || isDjcError(e, 'CONFIG_INVALID')) return { failure: 'error', error: e.message, retryable: false };
  // openBatchStream reports fs errors raw; word them as core's reader does (INPUT_INVALID, not retried).
  const why = INPUT_ERRNO[(e as NodeJS.ErrnoException | undefined)?.code ?? ''];
  if (why) return { failure: 'error', error: `${spec.batch.file}: cannot open input: ${why}`, retryable: false };
  const msg = e instanceof Error ? e.message : String(e);
  return { failure: 'error', error: `cannot read batch ${spec.batch.index} of ${spec.batch.file}: ${msg}`, retryable: true };
}

/** The other end went away: the command exited without reading all its stdin. */
function isPipeClosed(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}
