/**
 * Runs command handlers (`handler.command`) through `/bin/sh -c` in the job
 * YAML's directory, as the leader of a new process group so a timeout or an
 * abort stops the shell and everything it started (SIGTERM, then SIGKILL
 * after a grace period). When the shell exits, processes it left behind in
 * its group are killed: an attempt leaves nothing running.
 *
 * io "stdin": the batch is piped to stdin and stdout is the output (kept in
 * memory while small, else streamed to a file in tmpDir: stdout-sink.ts). io "file": the batch is written to $DJC_INPUT first,
 * the output is whatever the command writes to $DJC_OUTPUT, and stdout joins
 * stderr in the attempt log. A Parquet batch arrives as JSON lines (one per
 * row); $DJC_INPUT_FILE and $DJC_PARQUET_ROW_GROUPS ("first,count") name it too.
 *
 * The batch reaches the command through core's `batchBytes`, which checks
 * every record on the way (a bad one fails the attempt, or is left out and
 * dead-lettered, per input.on_bad_record) and counts them, so the committed
 * count is what a module handler would have been given. The batch is read to
 * its end even when the command stops reading stdin early.
 *
 * The shell is started by the worker's spawner (command-spawner.ts: a small
 * process on Linux, compiled or perl, else Node's spawn); what follows is the same for all.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { constants as osc } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { batchBytes, smallBatchBytes, capText, formatDuration, formatSize, isDjcError, type BatchTally, type FailureKind } from '@djc/core/worker';
import { DeadLetterFile, isPipeClosed, pumpBatch } from './batch-pump.js';
import { formatLogLine, LogBuffer, TailLines } from './log-buffer.js';
import { sampleGroupUsage, type GroupUsage } from './group-usage.js';
import { killGroup, waitGroupGone } from './process-group.js';
import { createAttemptScope, SCOPE_ENV } from './attempt-scope.js';
import { createCommandSpawner, INLINE_STDIN_BYTES, type CommandProcess, type CommandSpawner } from './command-spawner.js';
import { directArgv, shellEnv, shIsDash, signalText } from './direct-argv.js';
import { errorText, failed, reasonText, timerDelay } from './results.js';
import { pipeInto, StdoutSink } from './stdout-sink.js';
import type { AttemptFailure, AttemptResult, AttemptSpec } from './types.js';

/** Between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** After the shell exits, how long its stdout/stderr may stay open (held by an escaped process). */
const CLOSE_WAIT_MS = 4000;
/** A command that ran (start to exit) in less than this is quick: attempts may be queued behind it (canQueue; the round-3 rule of module threads). */
const QUICK_MS = 20;
/** Each of the last stderr lines quoted in a failed command's error (5 lines). */
const STDERR_LINE_CHARS = 200;

export interface CommandRunner {
  run(spec: AttemptSpec, signal: AbortSignal): Promise<AttemptResult>;
  /**
   * May one more attempt be handed over ahead of its turn (AttemptSpec.queued):
   * a command runs, the last one that ran was quick (QUICK_MS), and at most
   * `behind` attempts wait queued behind the one running.
   */
  canQueue(behind: number): boolean;
  /** Waits for attempts in flight; the caller aborts their signals first. */
  close(): Promise<void>;
}

/**
 * `native`, `perl`: see createCommandSpawner (tests start commands without
 * a spawner with null). `direct: false`: every command through the shell
 * (tests compare the two paths). Commands get the environment the process had when the
 * runner was made (plus the handler's and djc's variables): process.env is
 * not read again per attempt.
 */
export function createCommandRunner(opts: { native?: string | null; perl?: string | null; syscalls?: string[]; direct?: boolean } = {}): CommandRunner {
  const active = new Set<Promise<AttemptResult>>();
  const spawner = createCommandSpawner(opts);
  // The worker's environment, copied once: copying process.env (a getenv per variable) for every attempt cost more than the rest of building a command's environment.
  const workerEnv = { ...process.env };
  // Under each attempt's own variables: the worker's environment and the handler's, made once per job (its handler's env object).
  let last: EnvBase | null = null;
  const baseEnv = (handlerEnv: Record<string, string> | undefined): EnvBase => {
    if (last === null || last.handlerEnv !== handlerEnv) last = { handlerEnv, env: { ...workerEnv, ...handlerEnv }, shell: undefined };
    return last;
  };
  // Commands exec'd without the shell (direct-argv.ts) only where /bin/sh is dash: other shells pass on more (SHLVL, _…).
  const direct = (opts.direct ?? true) && shIsDash();
  const queue: Queue = { waiting: new Set(), lastMs: Infinity };
  return {
    run(spec, signal) {
      const p = new CommandAttempt(spec, signal, spawner, baseEnv(spec.handler.env), direct, queue).run();
      active.add(p);
      void p.finally(() => active.delete(p));
      return p;
    },
    canQueue(behind) {
      return active.size > queue.waiting.size && queue.waiting.size <= behind && queue.lastMs < QUICK_MS && spawner.kind() !== 'node';
    },
    async close() {
      await Promise.allSettled([...active]);
      await spawner.close();
    },
  };
}

/** A job's environment under its commands' own variables; `shell`: as the shell would pass it on (direct-argv.ts shellEnv), made when first needed. */
interface EnvBase { handlerEnv: Record<string, string> | undefined; env: NodeJS.ProcessEnv; shell: NodeJS.ProcessEnv | undefined }

/** The runner's queued attempts (AttemptSpec.queued) not started yet, and how long the last command ran (ms, start to exit). */
interface Queue { waiting: Set<CommandAttempt>; lastMs: number }

type Stop = { failure: FailureKind; error: string; retryable: boolean };
type Exit = { code: number | null; signal: NodeJS.Signals | null; spawnError?: Error; outputError?: unknown };

class CommandAttempt {
  private readonly log: LogBuffer;
  private readonly stderr = new TailLines(20);
  /** $DJC_INPUT / $DJC_OUTPUT (io "file") and where stdout spills (io "stdin"): made when first asked for. */
  private paths: { input: string; output: string } | undefined;
  private readonly deadLetters: DeadLetterFile;
  /** What reading the batch found (records, bad records); complete once the batch was read to its end. */
  private tally: BatchTally | null = null;
  private child: CommandProcess | undefined;
  private stopping: Stop | null = null;
  private killStartedAt = 0;
  private killTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  /** Its command started and it was not stopped by then: its turn came (onTurn). */
  private turned = false;
  /** Aborted to drop a queued start (AttemptSpec.queued) before its turn. */
  private readonly drop = new AbortController();
  /** Bounds the wait for the command's pipes after its exit (CLOSE_WAIT_MS). */
  private closeTimer: NodeJS.Timeout | undefined;
  private exited = false;
  /** The batch could not be read while being piped to stdin. */
  private inputFailure: Stop | null = null;
  /** io "stdin": the batch's chunks, opened (and read ahead: readAhead) before the command starts. */
  private stdinChunks: AsyncIterable<Buffer> | null = null;
  /** io "stdin": the whole batch, when it was read before the command started and is small enough to go with its start (INLINE_STDIN_BYTES). */
  private input: Buffer | undefined;
  /** Closes the batch opened for stdin (its file), whether or not it was fed. */
  private closeBatch: () => Promise<void> = async () => undefined;
  /** Samples what the command's process group uses, from its spawn to its leader's exit. */
  private usage: GroupUsage | undefined;
  /** Everything the command started, in its group or not (attempt-scope.ts): killed when the attempt ends. */
  private readonly scope = createAttemptScope();
  /** io "stdin": where stdout goes. */
  private stdout: StdoutSink | undefined;
  /** The command was exec'd without the shell (the shell may still have run it, if that exec failed). */
  private direct = false;

  constructor(
    private readonly spec: AttemptSpec,
    private readonly signal: AbortSignal,
    private readonly spawner: CommandSpawner,
    private readonly base: EnvBase,
    /** A plain simple command may be exec'd without the shell. */
    private readonly directOk: boolean,
    private readonly queue: Queue,
  ) {
    this.log = spec.log ?? new LogBuffer();
    // The path is used only under dead_letter (a join fewer per attempt otherwise).
    this.deadLetters = new DeadLetterFile(spec.input.onBadRecord, spec.input.onBadRecord === 'dead_letter' ? join(spec.tmpDir, 'bad-records.jsonl') : '');
  }

  private get files(): { input: string; output: string } {
    this.paths ??= { input: join(this.spec.tmpDir, 'input'), output: join(this.spec.tmpDir, 'output') };
    return this.paths;
  }

  async run(): Promise<AttemptResult> {
    const result = await this.attempt();
    const usage = this.usage?.stop();
    if (!usage) return result;
    // The perl spawner measured the command's CPU at its exit (what it and the children it reaped used): the sampler misses the end.
    const exact = (this.child as { cpuMs?: number } | undefined)?.cpuMs;
    return { ...result, usage: exact === undefined ? usage : { ...usage, cpuMs: Math.max(usage.cpuMs, exact) } };
  }

  private async attempt(): Promise<AttemptResult> {
    // A queued attempt's clock starts with its command (spawnAndWait); until then it waits behind the one running.
    if (this.spec.queued) this.queue.waiting.add(this);
    else this.armTimeout();
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    if (this.signal.aborted) this.onAbort();
    try {
      const problem = await this.prepare();
      if (problem) return problem;
      // Stopped before its command was asked for: a queued attempt never started (given back).
      if (this.stopping) return this.spec.queued ? this.droppedResult() : this.stoppedResult(null);
      const exit = await this.spawnAndWait();
      // Stopped before its turn: the spawner dropped it, or it started as the drop was on its way and was stopped at once.
      if (this.spec.queued && !this.turned && this.stopping) return this.droppedResult();
      return await this.result(exit);
    } catch (e) {
      return failed('error', `command handler failed: ${(e as Error).message}`, this.log.toString());
    } finally {
      this.queue.waiting.delete(this);
      clearTimeout(this.timeoutTimer);
      clearTimeout(this.killTimer);
      this.signal.removeEventListener('abort', this.onAbort);
      await this.closeBatch().catch(() => undefined);
      await this.deadLetters.close().catch(() => undefined);
    }
  }

  private armTimeout(): void {
    const { timeoutMs } = this.spec;
    const timeout = `timed out after ${formatDuration(timeoutMs)} (compute.timeout)`;
    this.timeoutTimer = setTimeout(() => this.stop({ failure: 'timeout', error: timeout, retryable: true }), timerDelay(timeoutMs));
  }

  private readonly onAbort = (): void => {
    this.stop({ failure: 'signal', error: `attempt aborted: ${reasonText(this.signal.reason)}`, retryable: true });
  };

  /**
   * In io "file" mode, writes the batch to
   * $DJC_INPUT; in io "stdin" mode, opens the batch (so an input that is
   * missing or changed fails before the command starts).
   */
  private async prepare(): Promise<AttemptResult | null> {
    const { handler } = this.spec;
    // tmpDir may not exist yet (the caller leaves it to the runner): files go there in io "file" mode and for dead letters.
    if (handler.io === 'file' || this.spec.input.onBadRecord === 'dead_letter') await mkdir(this.spec.tmpDir, { recursive: true });
    try {
      if (handler.io !== 'file') {
        await this.readAhead();
        return null;
      }
      const writeError = await pumpBatch(this.openBatch(), createWriteStream(this.files.input), () => this.stopping !== null);
      if (writeError !== undefined) return failed('error', `cannot write the batch to ${this.files.input}: ${(writeError as Error).message}`, this.log.toString());
      return null;
    } catch (e) {
      if (this.stopping) return this.stoppedResult(null);
      const stop = readFailure(e, this.spec);
      return failed(stop.failure, stop.error, this.log.toString(), { retryable: stop.retryable });
    }
  }

  /** The batch's byte stream; its tally becomes the attempt's. */
  private openBatch(): AsyncGenerator<Buffer> {
    // A small local batch is read with blocking calls: through the thread pool its open, fstats, read and close cost more than the reading.
    const { chunks, tally } = batchBytes(this.spec.batch, this.spec.input, this.deadLetters.sink, { blockingSmall: true });
    this.tally = tally;
    return chunks;
  }

  /**
   * io "stdin": opens the batch and reads it before the command starts, up
   * to its first chunk past INLINE_STDIN_BYTES; feedStdin goes on from
   * there. A batch read whole within that goes to the spawner with the
   * start (CommandSpawnOptions.input): no stdin pipe for the worker to open
   * and write.
   */
  private async readAhead(): Promise<void> {
    // A small plain batch, all of it valid, in one blocking read (no generators); anything else streamed by batchBytes, which reports or handles it.
    const small = smallBatchBytes(this.spec.batch, this.spec.input, INLINE_STDIN_BYTES);
    if (small) {
      this.tally = small.tally;
      this.input = small.bytes;
      // Written by the spawner with the start; streamed (feedStdin) only where the command got a stdin pipe (Node's spawn).
      return;
    }
    const it = this.openBatch();
    this.closeBatch = async () => {
      await it.return(undefined);
    };
    const read: Buffer[] = [];
    let bytes = 0;
    let next = await it.next();
    while (!next.done && bytes <= INLINE_STDIN_BYTES) {
      read.push(next.value);
      bytes += next.value.length;
      if (bytes <= INLINE_STDIN_BYTES) next = await it.next();
    }
    if (next.done && bytes <= INLINE_STDIN_BYTES) this.input = read.length === 1 ? read[0] : Buffer.concat(read);
    this.stdinChunks = (async function* () {
      yield* read;
      if (!next.done) yield* it;
    })();
  }

  private async spawnAndWait(): Promise<Exit> {
    const { spec } = this;
    const stdin = spec.handler.io !== 'file';
    const command = spec.handler.command as string;
    const args = shellArgs(command, spec.commandMemory?.bytes);
    const own = this.env();
    const { base } = this;
    // A plain simple command is exec'd without the shell (direct-argv.ts); under a memory limit the shell sets it. Without a PATH, dash and execvp search different places.
    const direct = this.directOk && !spec.commandMemory && (own.PATH ?? base.env.PATH) ? directArgvOf(command) : null;
    const baseEnv = direct ? (base.shell ??= shellEnv(base.env)) : base.env;
    const queued = spec.queued === true;
    const child = await this.spawner.spawn('/bin/sh', args, {
      cwd: spec.baseDir, env: direct ? shellEnv(own) : own, baseEnv, stdin, input: this.input, direct: direct ?? undefined,
      ...(queued ? { queued, drop: this.drop.signal } : {}),
    });
    this.queue.waiting.delete(this);
    const startedAt = Date.now();
    this.direct = child.direct === true;
    this.child = child;
    if (child.pid !== undefined && !this.stopping) {
      // Its turn: a queued attempt's start and clock begin now.
      if (queued) this.armTimeout();
      this.turned = true;
      spec.onTurn?.(startedAt);
    }
    if (child.pid !== undefined) {
      this.scope.started(child.pid, child.startTicks, child.parentPid);
      this.usage = sampleGroupUsage(child.pid);
      // Stopped while the command was being started: the stop reaches it now.
      if (this.stopping) this.signalStop(child.pid);
    }
    const output = this.wireOutput(child);
    this.wireStderr(child);
    // No stdin pipe with a piped stdin: the spawner wrote the batch into it (this.input).
    const fed = stdin && child.stdin ? this.feedStdin(child) : Promise.resolve();
    const closed = await waitClose(child, () => {
      this.queue.lastMs = Date.now() - startedAt;
      this.onExit(child);
    });
    // Closed: the bound on the wait for its pipes is not needed (a timer fewer to fire per attempt).
    clearTimeout(this.closeTimer);
    // No pid: the start failed, or the spawner died after its fork and before it said so. What the command started then runs untracked, but carries the attempt's tag.
    if (child.pid === undefined) this.killUnreported();
    const exit = this.asShellWould(closed);
    const outputError = await output.then(() => undefined, (e: unknown) => e);
    await fed;
    if (this.stopping && child.pid !== undefined) {
      await this.reap(child.pid);
      this.killEscaped();
    }
    return { ...exit, outputError };
  }

  /**
   * A command exec'd without the shell that died by a signal djc did not
   * send: dash would have said so on stderr (but for SIGINT and SIGPIPE)
   * and exited 128+n, and so it reads.
   */
  private asShellWould(exit: Exit): Exit {
    if (!this.direct || exit.signal === null || this.stopping) return exit;
    const n = osc.signals[exit.signal] ?? 0;
    if (exit.signal !== 'SIGINT' && exit.signal !== 'SIGPIPE') {
      const text = `${signalText(n)}${(this.child as { coreDumped?: boolean }).coreDumped ? ' (core dumped)' : ''}\n`;
      this.log.append(text);
      this.stderr.append(text);
    }
    return { ...exit, code: 128 + n, signal: null };
  }

  /** The attempt's own variables, on top of the job's (this.base). */
  private env(): NodeJS.ProcessEnv {
    const { spec } = this;
    const env: NodeJS.ProcessEnv = {
      DJC_JOB_ID: spec.jobId,
      DJC_TASK_ID: String(spec.taskId),
      DJC_ATTEMPT: String(spec.attempt),
      [SCOPE_ENV]: this.scope.tag,
      // W3C Trace Context of the attempt's span, for the command's own spans (tracing on only).
      ...(spec.traceparent ? { TRACEPARENT: spec.traceparent } : {}),
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
  private wireOutput(child: CommandProcess): Promise<void> {
    const stdout = child.stdout as NonNullable<CommandProcess['stdout']>;
    if (this.spec.handler.io !== 'file') {
      // The output's path is joined only if it spills.
      this.stdout = new StdoutSink(() => this.files.output);
      return pipeInto(stdout, this.stdout);
    }
    const decoder = new StringDecoder('utf8');
    stdout.on('data', (chunk: Buffer) => this.log.append(decoder.write(chunk)));
    return Promise.resolve();
  }

  private wireStderr(child: CommandProcess): void {
    const decoder = new StringDecoder('utf8');
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      this.log.append(text);
      this.stderr.append(text);
    });
  }

  /**
   * Pipes the batch to stdin; settles (never rejects) when the whole batch
   * has been read. A command that does not read all of its stdin is fine; a
   * read error (or a bad record under on_bad_record: fail) fails the attempt.
   */
  private async feedStdin(child: CommandProcess): Promise<void> {
    const stdin = child.stdin as NonNullable<CommandProcess['stdin']>;
    try {
      // A small batch read whole (readAhead) is fed as it was read, not read again.
      const chunks = this.stdinChunks ?? (this.input !== undefined && this.tally !== null ? oneChunk(this.input) : this.openBatch());
      const writeError = await pumpBatch(chunks, stdin, () => this.stopping !== null);
      if (writeError !== undefined) this.log.append(formatLogLine('warn', `[djc] writing the batch to stdin failed: ${(writeError as Error).message}`));
    } catch (e) {
      this.inputFailure = readFailure(e, this.spec);
      this.stop(this.inputFailure);
    }
  }

  /**
   * The shell exited: kill what it left in its group and what left the group
   * (unless a stop is already under way: it does so once the grace period is
   * over), and bound the wait for its pipes.
   */
  private onExit(child: CommandProcess): void {
    this.exited = true;
    if (child.pid !== undefined && !this.stopping) {
      // The spawner saw the group empty as it reaped the shell: a group with no member cannot gain one.
      if (child.groupGone !== true) killGroup(child.pid, 'SIGKILL');
      this.killEscaped('SIGKILL', true);
    }
    // Outputs that ended before the exit (a short command's, mostly: their EOFs come first) need no bound.
    if (isOpen(child.stdout) || isOpen(child.stderr)) {
      this.closeTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, CLOSE_WAIT_MS);
      this.closeTimer.unref();
    }
  }

  /** Signals the processes of the attempt that left its process group (setsid, a daemon), saying so in the attempt log. `leaderGone`: the shell has exited (and was reaped). */
  private killEscaped(signal: NodeJS.Signals = 'SIGKILL', leaderGone = false): void {
    const n = this.scope.killAll(signal, leaderGone);
    if (n === 0) return;
    const what = `${n} process${n === 1 ? '' : 'es'} the command left running outside its process group (setsid, a daemon)`;
    this.log.append(formatLogLine('warn', `[djc] ${signal === 'SIGKILL' ? 'killed' : `sent ${signal} to`} ${what}`));
  }

  /** Kills the processes of an attempt whose start the spawner never reported (it died between its fork and its answer). */
  private killUnreported(): void {
    const n = this.scope.killAll('SIGKILL');
    if (n > 0) this.log.append(formatLogLine('warn', `[djc] killed ${n} process${n === 1 ? '' : 'es'} of a command whose start the command spawner did not report (it exited)`));
  }

  /** Stops the attempt: SIGTERM to the process group now, SIGKILL after the grace period. */
  private stop(stop: Stop): void {
    if (this.stopping || this.exited) return;
    this.stopping = stop;
    const pid = this.child?.pid;
    if (pid !== undefined) {
      // Those queued behind a command being stopped (its timeout, its abort) do not start: they go back to the worker.
      // Dropped first, so the spawner reads that before it sees this one exit.
      for (const next of this.queue.waiting) next.stop({ failure: 'signal', error: 'dropped before it started: the attempt before it was stopped', retryable: true });
      this.signalStop(pid);
    } else if (this.queue.waiting.has(this)) {
      this.drop.abort();
    }
  }

  /** SIGTERM to the process group now, SIGKILL after the grace period. */
  private signalStop(pid: number): void {
    const stop = this.stopping as Stop;
    this.log.append(formatLogLine('error', `[djc] ${stop.error}; sending SIGTERM to the command's process group`));
    this.killStartedAt = Date.now();
    killGroup(pid, 'SIGTERM');
    this.killEscaped('SIGTERM');
    this.killTimer = setTimeout(() => {
      killGroup(pid, 'SIGKILL');
      this.killEscaped();
    }, KILL_GRACE_MS);
  }

  /** After a stop, waits until the whole group is gone (SIGKILL at the end of the grace period). */
  private async reap(pgid: number): Promise<void> {
    if (await waitGroupGone(pgid, this.killStartedAt + KILL_GRACE_MS)) return;
    killGroup(pgid, 'SIGKILL');
    await waitGroupGone(pgid, Date.now() + 1000);
  }

  /** A queued attempt stopped before its turn (its command never started, or was stopped as it started): the worker gives it back. */
  private droppedResult(): AttemptFailure {
    return { ...this.stoppedResult(null), notStarted: true };
  }

  private stoppedResult(exitCode: number | null): AttemptFailure {
    const s = this.stopping as Stop;
    return failed(s.failure, s.error, this.log.toString(), { retryable: s.retryable, exitCode });
  }

  private async result(exit: Exit): Promise<AttemptResult> {
    const log = this.log.toString();
    if (exit.spawnError) return failed('error', await this.spawnErrorText(exit.spawnError), log);
    if (this.stopping) return this.stoppedResult(exit.code);
    const input = this.inputFailure;
    // The input failed the attempt (a bad record under on_bad_record: fail): an exit 0 of the command says nothing then.
    if (input) return failed(input.failure, input.error, log, { retryable: input.retryable, exitCode: exit.code === 0 ? null : exit.code });
    if (exit.outputError !== undefined && !isPipeClosed(exit.outputError)) {
      return failed('error', `cannot write the command's output to ${this.files.output}: ${(exit.outputError as Error).message}`, log);
    }
    if (exit.signal || exit.code !== 0) {
      const lines = this.stderr.lines(5).map((l) => capText(l, STDERR_LINE_CHARS));
      const detail = lines.length ? lines.join(' | ') : '(no stderr)';
      const limit = this.spec.commandMemory;
      if (limit && this.stderr.lines().some((l) => OUT_OF_MEMORY.test(l))) {
        const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
        return failed('out_of_memory', `command ran out of memory (limit ${formatSize(limit.bytes)} per process, ${limit.source}); it ${how}: ${detail}`, log, { exitCode: exit.code });
      }
      if (exit.signal) return failed('signal', `command killed by ${exit.signal}`, log);
      return failed('exit_code', `command exited with code ${exit.code}: ${detail}`, log, { exitCode: exit.code });
    }
    const tally = this.tally as BatchTally;
    const deadLetters = await this.deadLetters.close();
    const output = await this.output();
    // No path in tmpDir was ever joined (io "file", a spill), nor dead letters kept: nothing was made there.
    const scratchUnused = this.paths === undefined && this.spec.input.onBadRecord !== 'dead_letter';
    return { ok: true, kind: 'raw', output, records: tally.records, bad: tally.bad, deadLetters, log, ...(scratchUnused ? { scratchUnused } : {}) };
  }

  /** Why the command could not start; a missing working directory is checked only then (not before every spawn). */
  private async spawnErrorText(e: Error): Promise<string> {
    const { baseDir } = this.spec;
    const isDir = await stat(baseDir).then((s) => s.isDirectory(), () => false);
    return isDir ? `cannot start the command: ${e.message}` : `cannot run the command: working directory ${baseDir} does not exist`;
  }

  private async output(): Promise<{ type: 'file'; path: string } | { type: 'buffer'; data: Buffer }> {
    if (this.stdout) return this.stdout.output();
    const path = this.files.output;
    const isFile = await stat(path).then((s) => s.isFile(), () => false);
    return isFile ? { type: 'file', path } : { type: 'buffer', data: Buffer.alloc(0) };
  }
}

/**
 * How the common runtimes say an allocation failed (C/strerror, Python,
 * glibc, C++, Node/V8, Java, Go, Rust, bash). Under a memory limit a command
 * that fails with one of these on stderr failed for lack of memory.
 */
const OUT_OF_MEMORY = /cannot allocate memory|MemoryError|out of memory|memory exhausted|bad_alloc|OutOfMemoryError|memory allocation of \d+ bytes failed|failed to allocate memory|xmalloc: cannot allocate/i;

/**
 * argv of /bin/sh for a command; with a limit, the shell sets RLIMIT_DATA
 * (`ulimit -d`, KiB, inherited by everything it starts) and then runs the
 * command in a fresh shell, so the command's own text is never spliced
 * into ours. RLIMIT_DATA, not RLIMIT_AS: it counts memory a process writes
 * to (heap, anonymous mappings), not address space it only reserves, so
 * runtimes that reserve large ranges (Node/V8, Java, Go) still start.
 */
export function shellArgs(command: string, limitBytes: number | undefined): string[] {
  if (limitBytes === undefined) return ['-c', command];
  const kib = Math.max(1, Math.floor(limitBytes / 1024));
  const script = `ulimit -d ${kib} || echo "djc: could not set the memory limit (ulimit -d ${kib})" >&2; exec /bin/sh -c "$1"`;
  return ['-c', script, 'djc-memory-limit', command];
}

/** directArgv of the last command asked about (a job runs one command: it is parsed once). */
let lastDirect: { command: string; argv: string[] | null } | null = null;
function directArgvOf(command: string): string[] | null {
  if (lastDirect?.command !== command) lastDirect = { command, argv: directArgv(command) };
  return lastDirect.argv === null ? null : [...lastDirect.argv];
}

/** A command's output not yet done with (not destroyed: an ended stream is destroyed as it closes). */
function isOpen(stream: CommandProcess['stdout']): boolean {
  return stream !== null && !stream.destroyed;
}

async function* oneChunk(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** Resolves when the child has exited and its stdio closed, or when it could not start. */
function waitClose(child: CommandProcess, onExit: () => void): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    child.once('exit', onExit);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

const INPUT_ERRNO: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'not a regular file' };

function readFailure(e: unknown, spec: AttemptSpec): Stop {
  if (isDjcError(e, 'INPUT_INVALID') || isDjcError(e, 'CONFIG_INVALID')) return { failure: 'error', error: errorText(e), retryable: false };
  // openBatchStream reports fs errors raw; word them as core's reader does (INPUT_INVALID, not retried).
  const why = INPUT_ERRNO[(e as NodeJS.ErrnoException | undefined)?.code ?? ''];
  if (why) return { failure: 'error', error: `${spec.batch.file}: cannot open input: ${why}`, retryable: false };
  const msg = e instanceof Error ? e.message : String(e);
  return { failure: 'error', error: `cannot read batch ${spec.batch.index} of ${spec.batch.file}: ${msg}`, retryable: true };
}


