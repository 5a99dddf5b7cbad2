/**
 * Starts command handlers' shells. Node's child_process (libuv) forks the
 * worker on Linux: the fork copies the page tables of the worker's whole
 * memory, the child's exec tears that copy down again, and spawn() blocks
 * the worker's event loop until the child has exec'd. So on Linux a small
 * process per worker, the spawner, starts commands and the worker only
 * talks to it, and its event loop never waits: the compiled one
 * (native/djc-spawner.c, built into dist/ where a C compiler was found),
 * which starts them with vfork (no copy of its memory at all), else perl
 * (spawner-script.ts, the same protocol), whose fork costs a fraction of a
 * fork of Node. DJC_COMMAND_SPAWNER=perl skips the compiled one.
 *
 * The command gets its own pipes. What it writes to stdout and stderr is
 * relayed by the spawner in its replies up to RELAY_BYTES per stream (a
 * command that prints little costs the worker no pipe, no fd, no Socket);
 * past that the spawner hands the pipe over: the worker opens the
 * spawner's end through /proc/<spawner>/fd/N, reads the rest itself, and
 * tells the spawner to close its copy (so large outputs never pass through
 * the spawner). A stdin pipe (a batch larger than INLINE_STDIN_BYTES) is opened
 * the same way at the start. The command still leads its own
 * session and process group (setsid) and its exit code or killing signal
 * comes from waitpid, so everything the command runner does with a child
 * (kill the group, sweep the attempt's scope, sample usage) is unchanged.
 *
 * A worker at concurrency 1 sends its next commands ahead (`queued`): the
 * spawner starts each when the one before exits, with no round trip to
 * the worker between them, and drops one the worker takes back (`drop`)
 * before its turn.
 *
 * Elsewhere (not Linux, neither spawner starts, the spawner died, or
 * DJC_COMMAND_SPAWNER=node) Node's spawn is used, as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, constants as fsc, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osc } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SPAWNER_SCRIPT, spawnerSyscalls } from './spawner-script.js';

/** What the command runner uses of a started command: a ChildProcess has it. */
export interface CommandProcess extends EventEmitter {
  readonly pid?: number | undefined;
  /** Its start time (clock ticks since boot, /proc/<pid>/stat) when the spawner read it already. */
  readonly startTicks?: number | undefined;
  /** It was exec'd without the shell (CommandSpawnOptions.direct). */
  readonly direct?: boolean | undefined;
  /** Set at its exit when the spawner saw its process group empty as it reaped it: no member is left to kill. */
  readonly groupGone?: boolean | undefined;
  /** The process that started it, when not this one (the spawner's pid). */
  readonly parentPid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
}

export interface CommandSpawnOptions {
  cwd: string;
  /** The command's environment; with `baseEnv`, its own entries on top of that (an entry set to undefined: left out). */
  env: NodeJS.ProcessEnv;
  /**
   * Entries under `env`, the same object for every command of a job (the
   * worker's environment and the handler's): the spawner then compares
   * only `env`'s few entries with the last command's, not the whole
   * environment. Not to be changed once passed.
   */
  baseEnv?: NodeJS.ProcessEnv | undefined;
  /** Pipe stdin (else /dev/null). */
  stdin: boolean;
  /**
   * The whole of stdin, at most INLINE_STDIN_BYTES (with `stdin`): the
   * spawner writes it into the command's stdin pipe and closes it before the
   * command starts, and the command comes back with no stdin (null), so the
   * worker opens no pipe for it and writes nothing. Node's spawn ignores it:
   * the caller writes stdin as usual.
   */
  input?: Buffer | undefined;
  /**
   * The command as an argv to exec without the shell (direct-argv.ts), with
   * `env` as the shell would pass it on: the spawner tries it first and
   * starts `file args…` instead if the exec fails; Node's spawn always
   * starts `file args…`.
   */
  direct?: string[] | undefined;
  /**
   * Start it only once the commands this spawner runs now (and those queued
   * before it) have exited: the spawner holds the request and starts it
   * at the previous one's exit, without a round trip to the worker. The
   * promise resolves when it starts. Node's spawn starts it at once.
   */
  queued?: boolean | undefined;
  /**
   * With `queued`: when it aborts before the command started, the request is
   * dropped (the command never starts; the promise resolves with a child that
   * emits a DroppedError). Too late (started already): no effect.
   */
  drop?: AbortSignal | undefined;
}

/** A queued start dropped before its turn (CommandSpawnOptions.drop): the command never ran. */
export class DroppedError extends Error {
  constructor() {
    super('the command was dropped before it started');
  }
}

export interface CommandSpawner {
  /** Starts `file args…` in a new session; resolves once it runs or could not start (then it emits 'error'). */
  spawn(file: string, args: string[], o: CommandSpawnOptions): Promise<CommandProcess>;
  /** Which way commands are started now: the compiled spawner, the perl one, Node's spawn. */
  readonly kind: () => SpawnerKind;
  /** Ends the spawner and waits (a little) until it has exited, so its CPU and its commands' count in the worker's. */
  close(): Promise<void>;
}

export type SpawnerKind = 'c' | 'perl' | 'node';

/** The compiled spawner (scripts/build-spawner.mjs): dist/djc-spawner, from this module in dist/handlers/ (or src/handlers/ under the tests). */
export const NATIVE_SPAWNER = fileURLToPath(new URL('../../dist/djc-spawner', import.meta.url));

/**
 * The first spawner that starts and says it is ready is used: the compiled
 * one (`native`: its path, null: skipped; also skipped with
 * DJC_COMMAND_SPAWNER=perl), else perl (`perl`: the executable to try,
 * null: skipped), else Node's spawn (DJC_COMMAND_SPAWNER=node: only that).
 * A spawner that dies once ready is not replaced: later commands start
 * through Node. `syscalls`: the perl spawner's system call numbers
 * (spawnerSyscalls; tests pass none to try its POSIX way).
 */
export function createCommandSpawner(opts: { native?: string | null; perl?: string | null; syscalls?: string[]; relayBytes?: number } = {}): CommandSpawner {
  const forced = process.env.DJC_COMMAND_SPAWNER;
  const relay = String(opts.relayBytes ?? RELAY_BYTES);
  const candidates: (() => ProcessSpawner)[] = [];
  if (process.platform === 'linux' && forced !== 'node') {
    const native = opts.native === undefined ? NATIVE_SPAWNER : opts.native;
    if (native !== null && forced !== 'perl' && existsSync(native)) candidates.push(() => new ProcessSpawner('c', native, [relay]));
    const perl = opts.perl === undefined ? 'perl' : opts.perl;
    if (perl !== null) candidates.push(() => new ProcessSpawner('perl', perl, ['-e', SPAWNER_SCRIPT, relay, ...(opts.syscalls ?? spawnerSyscalls())]));
  }
  let current: ProcessSpawner | null = null;
  let tried = 0;
  const use = async (): Promise<ProcessSpawner | null> => {
    for (;;) {
      const s = current;
      if (s) {
        if ((await s.ready) && !s.dead) return s;
        // Another call moved on to the next one meanwhile; or this one ran and died: Node from now on.
        if (s !== current) continue;
        if (s.wasReady) return null;
      }
      const next = candidates[tried];
      if (!next) return null;
      tried += 1;
      current = next();
    }
  };
  return {
    async spawn(file, args, o) {
      const s = await use();
      return s ? s.spawn(file, args, o) : nodeSpawn(file, args, o);
    },
    kind: () => (current && !current.dead ? current.kind : 'node'),
    async close() {
      await current?.close();
    },
  };
}

function nodeSpawn(file: string, args: string[], o: CommandSpawnOptions): ChildProcess {
  return spawn(file, args, { cwd: o.cwd, env: o.baseEnv ? { ...o.baseEnv, ...o.env } : o.env, detached: true, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

/**
 * Largest stdin sent with the start request (CommandSpawnOptions.input): one
 * page, PIPE_BUF, what a fresh pipe holds at the least, so the spawner's
 * write into it never blocks, read by the command or not.
 */
export const INLINE_STDIN_BYTES = 4096;
/**
 * Bytes of a command's stdout (and as many of its stderr) the spawner
 * relays in its replies; past that it hands the pipe over to the worker.
 */
export const RELAY_BYTES = 65536;
/** How long a spawner may hold the pipes of commands whose ends the worker opened, when no later request carries the word. */
const LET_GO_MS = 20;
/** How long close() waits for the spawner to exit. */
const CLOSE_WAIT_MS = 2000;
const EMPTY = Buffer.alloc(0);
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osc.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const ERRNO_NAMES = new Map<number, string>(Object.entries(osc.errno).map(([name, n]) => [n, name]));

/** A spawner process (the compiled one or perl: the same protocol, spawner-script.ts) and the commands it started. */
class ProcessSpawner {
  readonly ready: Promise<boolean>;
  dead = false;
  /** It said R (ready) once. */
  wasReady = false;
  private readonly proc: ChildProcess;
  /** Requests not answered yet; `unlisten`: removes the drop listener of a queued one once it is answered. */
  private readonly pending = new Map<number, { resolve: (p: CommandProcess) => void; viaShell: (() => void) | undefined; unlisten: (() => void) | undefined }>();
  private readonly running = new Map<number, SpawnedChild>();
  /** Commands whose outputs the spawner still relays (an output may outlast the exit: an escaped process holds it). */
  private readonly relaying = new Map<number, SpawnedChild>();
  private nextId = 1;
  private buffered: Buffer = EMPTY;
  /** `O` lines not sent yet: they ride on the next request (or go out after LET_GO_MS). */
  private letGo = '';
  private letGoTimer: NodeJS.Timeout | undefined;
  /** The spawner's environment as the requests sent so far left it (null: not set yet); each request sends only the changes. */
  private sentEnv: Map<string, string> | null = null;
  /** The baseEnv the last request's environment was made of (sentEnv is it plus sentOwn's entries), if any. */
  private sentBase: NodeJS.ProcessEnv | undefined;
  private sentOwn: string[] = [];
  private markReady: (ok: boolean) => void = () => undefined;
  /** Writes to the spawner are being gathered until the end of this turn (send). */
  private corked = false;

  /** `program` and `args`: what to start (perl: the script and its @ARGV, RELAY_BYTES then its system call numbers; the compiled one: RELAY_BYTES). */
  constructor(readonly kind: 'c' | 'perl', program: string, args: string[]) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    // The worker's perl settings are for its commands (they get them back with the rest of the environment), not for the spawner.
    const env = kind === 'perl' ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PERL(5OPT|5LIB|LIB|_UNICODE|5DB|IO)$/.test(k))) : process.env;
    this.proc = spawn(program, args, { stdio: ['pipe', 'pipe', 'inherit'], env, ...(kind === 'c' ? { argv0: 'djc-spawner' } : {}) });
    this.proc.on('error', () => this.died());
    this.proc.on('exit', () => this.died());
    this.proc.stdin?.on('error', () => this.died());
    this.proc.stdout?.on('data', (b: Buffer) => this.onData(b));
    this.proc.unref();
    (this.proc.stdin as unknown as Socket | null)?.unref?.();
  }

  /** The spawner keeps the worker's event loop alive only while it starts or waits for commands. */
  private holdLoop(on: boolean): void {
    const out = this.proc.stdout as unknown as Socket | null;
    if (on) out?.ref?.();
    else out?.unref?.();
  }

  private settleLoop(): void {
    this.holdLoop(this.pending.size + this.running.size + this.relaying.size > 0);
  }

  spawn(file: string, args: string[], o: CommandSpawnOptions): Promise<CommandProcess> {
    const id = this.nextId++;
    const env = o.baseEnv !== undefined && o.baseEnv === this.sentBase ? this.ownChanges(o.env, o.baseEnv) : this.envChanges(o.env, o.baseEnv);
    const argv = o.direct ?? [file, ...args];
    const input = o.stdin && o.input && o.input.length <= INLINE_STDIN_BYTES ? o.input : undefined;
    const mode = (input ? 'i' : o.stdin ? 'p' : 'n') + (o.direct ? 'd' : '');
    const payload = Buffer.from([o.cwd, mode, String(argv.length), ...argv, ...env].join('\0'), 'utf8');
    const queued = o.queued === true;
    return new Promise((resolve) => {
      // A direct exec that failed (not found, not executable, no #! line) goes to the shell, which says why and exits 126/127.
      const viaShell = o.direct ? () => void this.spawn(file, args, { ...o, direct: undefined }).then(resolve) : undefined;
      const drop = queued && o.drop ? () => this.dropQueued(id) : undefined;
      this.pending.set(id, { resolve, viaShell, unlisten: drop && o.drop ? () => o.drop?.removeEventListener('abort', drop) : undefined });
      this.holdLoop(true);
      const head = Buffer.from(`${this.takeLetGo()}${queued ? 'Q' : 'S'} ${id} ${payload.length}${input ? ` ${input.length}` : ''}\n`);
      this.send(input ? [head, payload, input] : [head, payload], true);
      if (drop && o.drop) {
        if (o.drop.aborted) drop();
        else o.drop.addEventListener('abort', drop, { once: true });
      }
    });
  }

  /**
   * The payload's environment entries for a command whose environment is
   * `env`: KEY=VALUE for what differs from the last command's, KEY for what
   * it lacks; the first request clears the spawner's own first (""). Names
   * that are empty or hold "=" cannot be said so: they are left out.
   */
  private envChanges(own: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv | undefined): string[] {
    const env = base ? { ...base, ...own } : own;
    this.sentBase = base;
    this.sentOwn = base ? Object.keys(own).filter(validName) : [];
    const out: string[] = [];
    let sent = this.sentEnv;
    if (sent === null) {
      sent = this.sentEnv = new Map();
      out.push('');
    }
    let names = 0;
    for (const k in env) {
      const v = env[k];
      if (v === undefined || !validName(k)) continue;
      names += 1;
      if (sent.get(k) === v) continue;
      sent.set(k, v);
      out.push(`${k}=${v}`);
    }
    // More names sent than this environment has: the others go.
    if (names < sent.size) {
      for (const k of sent.keys()) {
        if (env[k] !== undefined) continue;
        sent.delete(k);
        out.push(k);
      }
    }
    return out;
  }

  /**
   * envChanges for a command whose base is the last command's: only its own
   * entries are compared, and the last command's own entries it lacks go
   * back to the base's value (or go).
   */
  private ownChanges(own: NodeJS.ProcessEnv, base: NodeJS.ProcessEnv): string[] {
    const sent = this.sentEnv as Map<string, string>;
    const out: string[] = [];
    const names: string[] = [];
    const put = (k: string, v: string | undefined): void => {
      if (v === undefined) {
        if (sent.delete(k)) out.push(k);
      } else if (sent.get(k) !== v) {
        sent.set(k, v);
        out.push(`${k}=${v}`);
      }
    };
    for (const k in own) {
      if (!validName(k)) continue;
      names.push(k);
      put(k, own[k]);
    }
    for (const k of this.sentOwn) if (!Object.hasOwn(own, k)) put(k, base[k]);
    this.sentOwn = names;
    return out;
  }

  /**
   * Writes to the spawner. Starts (`gather`) written in one turn (the loop
   * hands its next attempts ahead several at once, each a queued start) go
   * out together at the turn's end, in order: one system call, not one
   * each. Anything else goes at once, after the starts gathered before it:
   * a drop must reach the spawner before the exit of the command being
   * stopped (the kill follows it).
   */
  private send(data: string | Buffer[], gather = false): void {
    const stdin = this.proc.stdin;
    if (!stdin) return;
    if (gather && !this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => {
        if (!this.corked) return;
        this.corked = false;
        stdin.uncork();
      });
    } else if (!gather && this.corked) {
      this.corked = false;
      stdin.uncork();
    }
    if (typeof data === 'string') stdin.write(data);
    else for (const b of data) stdin.write(b);
  }

  close(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.proc.stdin?.end();
    });
  }

  private onData(b: Buffer): void {
    const buf = this.buffered.length ? Buffer.concat([this.buffered, b]) : b;
    let at = 0;
    let nl: number;
    while ((nl = buf.indexOf(10, at)) >= 0) {
      const line = buf.toString('latin1', at, nl).split(' ');
      if (line[0] === 'D') {
        // A frame of output: its bytes follow the line.
        const end = nl + 1 + Number(line[3]);
        if (end > buf.length) break;
        this.relaying.get(Number(line[1]))?.relay(line[2] === '1' ? 1 : 2, buf.subarray(nl + 1, end));
        at = end;
        continue;
      }
      at = nl + 1;
      this.onLine(line);
    }
    // What is left waits for the rest of its line or frame.
    this.buffered = at >= buf.length ? EMPTY : buf.subarray(at);
  }

  private onLine([op, id, ...f]: string[]): void {
    if (op === 'R') {
      this.wasReady = true;
      this.markReady(true);
      return this.settleLoop();
    }
    const n = Number(id);
    if (op === 'S' || op === 'F' || op === 'X') {
      const pending = this.pending.get(n);
      this.pending.delete(n);
      if (!pending) return;
      const { resolve, viaShell, unlisten } = pending;
      unlisten?.();
      if (op === 'X') {
        resolve(failedChild(0, new DroppedError()));
        return this.settleLoop();
      }
      if (op === 'F') {
        if (viaShell) viaShell();
        else resolve(failedChild(Number(f[0])));
        return this.settleLoop();
      }
      const report = f.map(Number) as [number, number, number, number, number];
      let child: SpawnedChild;
      try {
        child = this.started(n, report, viaShell !== undefined);
      } catch (e) {
        // The spawner exited as it reported the start: its ends of the pipes went with it. The command is stopped, the attempt fails.
        try {
          process.kill(-report[0], 'SIGKILL');
        } catch {
          // gone already
        }
        resolve(failedChild(0, (e as NodeJS.ErrnoException).code === 'ENOENT' ? this.lostError() : (e as Error)));
        return this.settleLoop();
      }
      resolve(child);
      this.settleLoop();
    } else if (op === 'E') {
      const child = this.running.get(n);
      this.running.delete(n);
      const status = Number(f[0]);
      const sig = status & 0x7f;
      child?.exited(sig ? null : (status >> 8) & 0xff, sig ? (SIGNAL_NAMES.get(sig) ?? 'SIGKILL') : null, Number(f[1]), (status & 0x80) !== 0, f[2] === '0');
      this.settleLoop();
    } else if (op === 'C') {
      const child = this.relaying.get(n);
      if (child?.relayEnded(f[0] === '1' ? 1 : 2)) this.relaying.delete(n);
      this.settleLoop();
    } else if (op === 'H') {
      const child = this.relaying.get(n);
      if (!child) return;
      const fd = Number(f[1]);
      let handle: number | null = null;
      try {
        handle = openSync(`/proc/${this.proc.pid}/fd/${fd}`, fsc.O_RDONLY | fsc.O_NONBLOCK);
      } catch {
        // The spawner is gone (its ends went with it): the stream ends here, the attempt fails with the lost spawner.
      }
      if (handle !== null) this.letGoOf(n, [fd], false);
      if (child.handedOver(f[0] === '1' ? 1 : 2, handle)) this.relaying.delete(n);
      this.settleLoop();
    }
  }

  /**
   * The command runs: its outputs come relayed (SpawnedChild.relayed); a stdin
   * pipe is opened here (the spawner's end, through /proc), then the
   * spawner lets go of its copy.
   */
  private started(id: number, [pid, inFd, outFd, errFd, start]: [number, number, number, number, number], direct: boolean): SpawnedChild {
    let stdin: Writable | null = null;
    if (inFd >= 0) {
      let fd: number;
      try {
        fd = openSync(`/proc/${this.proc.pid}/fd/${inFd}`, fsc.O_WRONLY | fsc.O_NONBLOCK);
      } catch (e) {
        // ENOENT: the spawner is gone (the caller fails the attempt); ENXIO: the command has closed its stdin already (or exited).
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
        fd = -1;
      }
      stdin = fd >= 0 ? new Socket({ fd, readable: false, writable: true }) : closedPipe();
    }
    const child = new SpawnedChild(pid, stdin, start >= 0 ? start : undefined, direct, (fds) => this.doneWith(id, fds));
    child.relayFds = [outFd, errFd];
    child.parentPid = this.proc.pid;
    if (inFd >= 0) this.letGoOf(id, [inFd], true);
    this.running.set(id, child);
    this.relaying.set(id, child);
    return child;
  }

  /** Asks the spawner to drop queued request <id> if it has not started it (it answers `X <id>`; else its `S` or `F` comes as usual). */
  private dropQueued(id: number): void {
    if (!this.dead && this.pending.has(id)) this.send(`${this.takeLetGo()}X ${id}\n`);
  }

  /** The worker is done with outputs the spawner still relays (destroyed before their EOF): the spawner closes them. */
  private doneWith(id: number, fds: number[]): void {
    const child = this.relaying.get(id);
    if (!child) return;
    if (child.relayed === 0) this.relaying.delete(id);
    if (!this.dead) this.letGoOf(id, fds, true);
    this.settleLoop();
  }

  /**
   * Tells the spawner to close its ends `fds` of <id>'s pipes. At once if it
   * holds a stdin write end (the command's EOF waits for it) or relays an
   * output the worker is done with; else with the next request, or after
   * LET_GO_MS: its copy of a read end handed over only keeps the pipe open
   * a little longer (a message and a wake-up of the spawner fewer).
   */
  private letGoOf(id: number, fds: number[], now: boolean): void {
    this.letGo += `O ${id} ${fds.join(' ')}\n`;
    if (now) {
      this.send(this.takeLetGo());
      return;
    }
    if (this.letGoTimer) return;
    this.letGoTimer = setTimeout(() => {
      this.letGoTimer = undefined;
      if (this.letGo && !this.dead) this.send(this.takeLetGo());
    }, LET_GO_MS);
    this.letGoTimer.unref();
  }

  private takeLetGo(): string {
    const s = this.letGo;
    this.letGo = '';
    // Nothing waits now: a timer left armed would send the next command's `O` alone, a spawner wake-up of its own.
    clearTimeout(this.letGoTimer);
    this.letGoTimer = undefined;
    return s;
  }

  private lostError(): Error {
    return new Error(`the command spawner (${this.kind === 'c' ? 'djc-spawner' : 'perl'}) exited`);
  }

  /** The spawner is gone: what it started can no longer be waited for; later commands start through Node. */
  private died(): void {
    if (this.dead) return;
    this.dead = true;
    this.markReady(false);
    const lost = this.lostError();
    for (const { resolve, unlisten } of this.pending.values()) {
      unlisten?.();
      resolve(failedChild(0, lost));
    }
    this.pending.clear();
    for (const child of this.running.values()) child.lost(lost);
    this.running.clear();
    // Exited commands whose outputs were still relayed (held by a process they left): those outputs end here.
    for (const child of this.relaying.values()) child.relayLost();
    this.relaying.clear();
  }
}

/**
 * A command's stdout or stderr: the bytes the spawner relays, then, past
 * RELAY_BYTES, what the worker reads from the pipe handed over.
 */
class RelayStream extends Readable {
  private socket: Socket | null = null;
  private eof = false;

  constructor(private readonly onDestroy: () => void) {
    super();
  }

  /** Bytes the spawner relayed; ignored once the worker is done with the stream. */
  add(bytes: Buffer | null): void {
    if (this.destroyed || this.eof) return;
    if (bytes === null) this.eof = true;
    this.push(bytes);
    // At EOF with nothing buffered, 'end' (and 'close') come without a reader, as a Socket's do; a turn later, for the
    // EOF can come with the start, before the caller has piped the stream (it would miss the 'end'). A flowing stream
    // (the caller takes its 'data', as the command runner does) reads itself to its 'end': no turn of the loop for it.
    if (bytes === null && this.readableFlowing !== true) setImmediate(() => this.destroyed || this.read(0));
  }

  /** Reads the rest from the pipe handed over (its fd, opened here). */
  attach(fd: number): void {
    if (this.destroyed) {
      closeSync(fd);
      return;
    }
    const socket = (this.socket = new Socket({ fd, readable: true, writable: false }));
    socket.on('data', (b: Buffer) => {
      if (!this.destroyed && !this.push(b)) socket.pause();
    });
    socket.once('end', () => this.add(null));
    socket.once('error', (e) => this.destroy(e));
  }

  override _read(): void {
    this.socket?.resume();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.socket?.destroy();
    this.onDestroy();
    cb(e);
  }
}

/** A started command, shaped as much like a ChildProcess as the command runner needs: 'exit' then 'close'. */
class SpawnedChild extends EventEmitter implements CommandProcess {
  private open = 2;
  private exit: [number | null, NodeJS.Signals | null] | null = null;
  /** CPU of the command and the children it reaped, from the spawner's times(2). */
  cpuMs: number | undefined;
  /** Killed by a signal and dumped core (what a shell adds to its message). */
  coreDumped = false;
  groupGone: boolean | undefined;
  readonly stdout: RelayStream;
  readonly stderr: RelayStream;
  /** The spawner's fds of stdout and stderr, and whether it still relays each. */
  relayFds: number[] = [];
  /** The spawner's pid (CommandProcess.parentPid). */
  parentPid: number | undefined;
  private readonly relaying = [true, true];

  /**
   * `startTicks`: the command's start time as /proc/<pid>/stat gives it
   * (clock ticks since boot), read by the spawner. `doneWith(fds)`: the
   * worker is done with outputs the spawner still relays.
   */
  constructor(readonly pid: number, readonly stdin: Writable | null, readonly startTicks: number | undefined, readonly direct: boolean, private readonly doneWith: (fds: number[]) => void) {
    super();
    this.stdout = new RelayStream(() => this.streamDone(0));
    this.stderr = new RelayStream(() => this.streamDone(1));
    for (const s of [this.stdout, this.stderr]) s.once('close', () => this.streamClosed());
  }

  /** How many outputs the spawner still relays. */
  get relayed(): number {
    return (this.relaying[0] ? 1 : 0) + (this.relaying[1] ? 1 : 0);
  }

  /** Bytes of stdout (1) or stderr (2). */
  relay(stream: 1 | 2, bytes: Buffer): void {
    (stream === 1 ? this.stdout : this.stderr).add(bytes);
  }

  /** That output's EOF; true when none is relayed any more. */
  relayEnded(stream: 1 | 2): boolean {
    this.relaying[stream - 1] = false;
    (stream === 1 ? this.stdout : this.stderr).add(null);
    return this.relayed === 0;
  }

  /** That output's pipe is the worker's now (`fd` opened; null: it could not be, the stream ends); true when none is relayed any more. */
  handedOver(stream: 1 | 2, fd: number | null): boolean {
    this.relaying[stream - 1] = false;
    const s = stream === 1 ? this.stdout : this.stderr;
    if (fd === null) s.add(null);
    else s.attach(fd);
    return this.relayed === 0;
  }

  /** The spawner died: what it relayed ends here. */
  relayLost(): void {
    for (const stream of [1, 2] as const) if (this.relaying[stream - 1]) this.relayEnded(stream);
  }

  /** The worker destroyed an output (or it ended): if the spawner still relays it, it is told to stop. */
  private streamDone(i: number): void {
    if (!this.relaying[i]) return;
    this.relaying[i] = false;
    this.doneWith([this.relayFds[i] as number]);
  }

  /** Deferred a turn: the exit can arrive with the start, before the caller listens. */
  exited(code: number | null, signal: NodeJS.Signals | null, cpuMs: number, coreDumped = false, groupGone = false): void {
    setImmediate(() => {
      this.cpuMs = cpuMs;
      this.coreDumped = coreDumped;
      this.groupGone = groupGone;
      this.exit = [code, signal];
      this.stdin?.destroy();
      this.emit('exit', code, signal);
      this.maybeClose();
    });
  }

  /**
   * The spawner died: its exit status is lost, so the command is stopped and
   * the attempt fails. The error is deferred a turn, as an exit is: the
   * spawner can die (an EPIPE on its stdin, a process.nextTick) between the
   * start being handed over and the caller listening, and an 'error' with no
   * listener would throw and leave the attempt waiting for ever.
   */
  lost(e: Error): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    setImmediate(() => this.emit('error', e));
  }

  private streamClosed(): void {
    this.open -= 1;
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.open === 0 && this.exit) this.emit('close', ...this.exit);
  }
}

/** An environment name the spawner's payload can carry (not empty, no "="). */
function validName(k: string): boolean {
  return k !== '' && !k.includes('=');
}

/** A command that did not start: emits 'error' as a ChildProcess does, once the caller had a turn to listen. */
function failedChild(errno: number, e?: Error): CommandProcess {
  const code = ERRNO_NAMES.get(errno) ?? 'EIO';
  const err = e ?? Object.assign(new Error(`spawn /bin/sh ${code}`), { code, errno: -errno, syscall: 'spawn /bin/sh' });
  const child = Object.assign(new EventEmitter(), { pid: undefined, stdin: closedPipe(), stdout: Readable.from([]), stderr: Readable.from([]) });
  setImmediate(() => child.emit('error', err));
  return child;
}

function closedPipe(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
}
