import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, output, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createCommandRunner, type CommandRunner } from './command-runner.js';
import { createCommandSpawner, DroppedError, INLINE_STDIN_BYTES, NATIVE_SPAWNER, type CommandProcess } from './command-spawner.js';
import { spawnerSyscalls } from './spawner-script.js';
import type { AttemptResult } from './types.js';

const TEXT = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };
const hasPerl = process.platform === 'linux' && existsSync('/usr/bin/perl');
/** The build compiles the C spawner where a C compiler is found (scripts/build-spawner.mjs). */
const hasCc = process.platform === 'linux' && spawnSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' }).status === 0;
type Row = [string, { native?: null; syscalls?: string[] }, 'c' | 'perl'];
/**
 * Every spawner the worker may start commands with, the same cases for each: the compiled one (the default; where a C
 * compiler is found the build must have made it, so a build that did not fails here rather than skip it) and perl, whose pipes are plain fds where the worker passes the numbers of the pipe calls, else Perl handles.
 */
const SPAWNERS: Row[] = [
  ...(hasCc ? [['the compiled spawner', {}, 'c'] as Row] : []),
  ...(hasPerl ? [['the perl spawner, its pipes as fds', { native: null, syscalls: spawnerSyscalls() }, 'perl'] as Row, ['the perl spawner, its pipes as Perl handles', { native: null, syscalls: spawnerSyscalls().slice(0, 2) }, 'perl'] as Row] : []),
];
/** The name a spawner's death is told by. */
const spawnerName = (kind: 'c' | 'perl') => (kind === 'c' ? 'djc-spawner' : 'perl');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

function run(runner: CommandRunner, command: string, text = 'alpha\nbeta\n', over: Parameters<typeof spec>[2] = {}): Promise<AttemptResult> {
  const batch = writeBatch(tmp.dir, `in-${Math.random().toString(36).slice(2)}.txt`, text, text.split('\n').length - 1);
  return run1(runner, spec(tmp.dir, batch, { command, input: TEXT, ...over }));
}
const run1 = (runner: CommandRunner, s: ReturnType<typeof spec>) => runner.run(s, s.signal);



/** A started command's stdout, once it has exited and its pipes closed. */
function stdoutOf(child: CommandProcess): Promise<Buffer> {
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.resume();
  return new Promise((resolve) => child.once('close', () => resolve(Buffer.concat(chunks))));
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** The command's parent: the spawner, or this process when Node started it. */
const PARENT = 'cat >/dev/null; echo "$PPID"';

describe.runIf(SPAWNERS.length > 0).each(SPAWNERS)('command handlers started by %s', (_, opts, kind) => {
  let runner: CommandRunner;
  beforeAll(() => {
    runner = createCommandRunner(opts);
  });
  afterAll(() => runner.close());

  it('starts commands from a process other than the worker, and the same spawner for each', async () => {
    const [a, b] = await Promise.all([run(runner, PARENT), run(runner, PARENT)]);
    const parent = Number(output(a).trim());
    expect(parent).not.toBe(process.pid);
    expect(readFileSync(`/proc/${parent}/comm`, 'latin1')).toBe('djc-spawner\n');
    expect(readFileSync(`/proc/${parent}/cmdline`, 'latin1')).toMatch(/^djc-spawner\0/);
    expect(Number(output(b).trim())).toBe(parent);
  });

  it('tells an exit code from a death by signal, as Node does', async () => {
    const exited = await run(runner, 'exit 143');
    expect(exited).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 143, error: 'command exited with code 143: (no stderr)' });
    const killed = await run(runner, 'kill -TERM $$');
    expect(killed).toMatchObject({ ok: false, failure: 'signal', error: 'command killed by SIGTERM' });
  });

  it('pipes a batch larger than a pipe buffer to a command that reads it, and one that does not', async () => {
    const text = Array.from({ length: 30_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    expect(output(await run(runner, 'wc -l', text)).trim()).toBe('30000');
    const ignored = await run(runner, 'exec 0<&-; echo closed', text);
    expect(output(ignored)).toBe('closed\n');
    expect(ignored.ok && ignored.records).toBe(30_000);
  });

  it('runs in the job directory with the job environment and stdin from /dev/null for io: file', async () => {
    const r = await run(runner, 'echo "$(pwd) $GREETING $DJC_TASK_ID" > "$DJC_OUTPUT"; cat', 'x\n', { io: 'file', env: { GREETING: 'hi there' } });
    expect(output(r)).toMatch(new RegExp(`^${tmp.dir} hi there \\d+\\n$`));
  });

  it('counts the CPU a command used up to its exit, past the last /proc sample', async () => {
    // The shell burns CPU itself and in a subshell, then prints what both used (times) as its last act.
    const burn = 'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; (j=0; while [ $j -lt 60000 ]; do j=$((j+1)); done); times >&2';
    const r = await run(runner, burn);
    if (!r.ok || !r.usage) throw new Error(`no usage: ${JSON.stringify(r)}`);
    const seconds = [...r.log.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(seconds).toHaveLength(4);
    const reportedMs = seconds.reduce((a, b) => a + b, 0) * 1000;
    expect(reportedMs).toBeGreaterThan(0);
    // The same clock ticks (10 ms) on both sides; one tick of slack for the conversion.
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(reportedMs - 10);
  });

  it('reports each command\'s start time (the attempt scope\'s lower bound): not after what /proc gives, with no read of /proc by the worker', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const child = await spawner.spawn('/bin/sh', ['-c', 'exec sleep 5'], { cwd: tmp.dir, env: process.env, stdin: false });
      expect(spawner.kind()).toBe(kind);
      const pid = child.pid as number;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // Read from the clock just before the fork (or from /proc where the spawner has no clock): at most what /proc says, and
      // close to it (a second is room for a busy machine; a wrong unit or clock would be off by far more).
      const procTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      expect(child.startTicks).toBeLessThanOrEqual(procTicks);
      expect(child.startTicks).toBeGreaterThan(procTicks - 100);
      process.kill(-pid, 'SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    } finally {
      await spawner.close();
    }
  });

  it('says at a command\'s exit whether its process group was left empty (then the worker does not kill it)', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const alone = await spawner.spawn('/bin/sh', ['-c', 'true'], { cwd: tmp.dir, env: process.env, stdin: false });
      await stdoutOf(alone);
      expect(alone.groupGone).toBe(true);
      const left = await spawner.spawn('/bin/sh', ['-c', 'sleep 30 >/dev/null 2>&1 & exit 0'], { cwd: tmp.dir, env: process.env, stdin: false });
      await stdoutOf(left);
      expect(left.groupGone).toBe(false);
      process.kill(-(left.pid as number), 'SIGKILL');
    } finally {
      await spawner.close();
    }
  });

  it('writes a small stdin sent with the start into the command\'s pipe and closes it: the worker opens no stdin pipe', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const start = (input: Buffer, command = 'cat; echo end') => spawner.spawn('/bin/sh', ['-c', command], { cwd: tmp.dir, env: process.env, stdin: true, input });
      const bytes = Buffer.from('a\0b\nc\n');
      const child = await start(bytes);
      expect(spawner.kind()).toBe(kind);
      expect(child.stdin).toBeNull();
      expect(await stdoutOf(child)).toEqual(Buffer.concat([bytes, Buffer.from('end\n')]));
      // Empty: EOF at once.
      expect((await stdoutOf(await start(Buffer.alloc(0)))).toString()).toBe('end\n');
      // A full page to a command that never reads it: the spawner is not held up, the next command starts.
      const idle = await start(Buffer.alloc(INLINE_STDIN_BYTES, 0x61), 'sleep 0.3; echo idle');
      expect((await stdoutOf(await start(Buffer.from('x\n')))).toString()).toBe('x\nend\n');
      expect((await stdoutOf(idle)).toString()).toBe('idle\n');
      // Past a page, stdin is a pipe the worker writes, as without input.
      const big = await start(Buffer.alloc(INLINE_STDIN_BYTES + 1, 0x61), 'exec wc -c');
      expect(big.stdin).not.toBeNull();
      big.stdin?.end(Buffer.alloc(3, 0x62));
      expect((await stdoutOf(big)).toString().trim()).toBe('3');
    } finally {
      await spawner.close();
    }
  });

  it('gives each command exactly its environment, though a request sends only what changed since the last', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const envOf = async (env: NodeJS.ProcessEnv) => {
        const child = await spawner.spawn('/bin/sh', ['-c', 'env'], { cwd: tmp.dir, env, stdin: false });
        return (await stdoutOf(child)).toString().split('\n').filter((l) => l !== '' && !l.startsWith('PWD=')).sort();
      };
      expect(await envOf({ DJCT_A: '1', DJCT_B: 'two words' })).toEqual(['DJCT_A=1', 'DJCT_B=two words']);
      expect(spawner.kind()).toBe(kind);
      expect(await envOf({ DJCT_A: '1' })).toEqual(['DJCT_A=1']);
      expect(await envOf({ DJCT_A: '3', DJCT_C: '', DJCT_D: undefined })).toEqual(['DJCT_A=3', 'DJCT_C=']);
      expect(await envOf({ DJCT_B: 'back' })).toEqual(['DJCT_B=back']);
      expect(await envOf({ DJCT_B: 'back' })).toEqual(['DJCT_B=back']);
      expect(await envOf({})).toEqual([]);
    } finally {
      await spawner.close();
    }
  });

  it('gives each command exactly its base environment plus its own, though a request with the same base compares only its own', async () => {
    for (const spawner of [createCommandSpawner(opts), createCommandSpawner({ native: null, perl: null })]) {
      try {
        const envOf = async (env: NodeJS.ProcessEnv, baseEnv: NodeJS.ProcessEnv) => {
          const child = await spawner.spawn('/bin/sh', ['-c', 'env'], { cwd: tmp.dir, env, baseEnv, stdin: false });
          return (await stdoutOf(child)).toString().split('\n').filter((l) => l !== '' && !l.startsWith('PWD=')).sort();
        };
        const base = { DJCT_A: 'a', DJCT_B: 'b' };
        expect(await envOf({ DJCT_X: '1' }, base)).toEqual(['DJCT_A=a', 'DJCT_B=b', 'DJCT_X=1']);
        // An own entry over the base's, then gone: the base's comes back; one the base lacks goes.
        expect(await envOf({ DJCT_A: 'own', DJCT_Y: '2' }, base)).toEqual(['DJCT_A=own', 'DJCT_B=b', 'DJCT_Y=2']);
        expect(await envOf({ DJCT_X: '3' }, base)).toEqual(['DJCT_A=a', 'DJCT_B=b', 'DJCT_X=3']);
        // Set to undefined: left out, base or not; back the next time.
        expect(await envOf({ DJCT_B: undefined, DJCT_X: undefined }, base)).toEqual(['DJCT_A=a']);
        expect(await envOf({}, base)).toEqual(['DJCT_A=a', 'DJCT_B=b']);
        // Another base: all of it is compared again.
        expect(await envOf({ DJCT_X: '4' }, { DJCT_C: 'c' })).toEqual(['DJCT_C=c', 'DJCT_X=4']);
        expect(await envOf({ DJCT_A: 'full' }, undefined as unknown as NodeJS.ProcessEnv)).toEqual(['DJCT_A=full']);
        expect(await envOf({}, base)).toEqual(['DJCT_A=a', 'DJCT_B=b']);
      } finally {
        await spawner.close();
      }
    }
  });

  it('relays what a command prints little of in its replies: the worker opens no pipe of it', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const running = await spawner.spawn('/bin/sh', ['-c', 'echo "$PPID $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)"; echo warn >&2; exec sleep 5'], { cwd: tmp.dir, env: process.env, stdin: true, input: Buffer.from('x\n') });
      expect(spawner.kind()).toBe(kind);
      const line = await new Promise<string>((resolve) => running.stdout?.once('data', (b: Buffer) => resolve(b.toString())));
      const [perl, out, err] = line.trim().split(' ') as [string, string, string];
      expect(out).toMatch(/^pipe:\[\d+\]$/);
      const held = (pid: string | number) => readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkOr(`/proc/${pid}/fd/${fd}`));
      // The spawner reads both outputs; the worker holds neither.
      expect(held(perl)).toEqual(expect.arrayContaining([out, err]));
      expect(held(process.pid)).not.toContain(out);
      expect(held(process.pid)).not.toContain(err);
      const stderr = new Promise<string>((resolve) => running.stderr?.once('data', (b: Buffer) => resolve(b.toString())));
      expect(await stderr).toBe('warn\n');
      process.kill(-(running.pid as number), 'SIGKILL');
      await stdoutOf(running);
      // Its EOF closed the spawner's ends.
      expect(held(perl)).not.toContain(out);
    } finally {
      await spawner.close();
    }
  });

  it('hands a command\'s pipe to the worker once it printed more than the relay takes, and lets go of its end, also when no request follows', async () => {
    const spawner = createCommandSpawner({ ...opts, relayBytes: 1000 });
    try {
      const expected = Array.from({ length: 20_000 }, (_, i) => `${i + 1}\n`).join('');
      // Past the relay on both outputs; the rest read by the worker from the pipes themselves, byte for byte, in order.
      const running = await spawner.spawn('/bin/sh', ['-c', 'seq 1 20000 >&2; echo "$PPID $(readlink /proc/$$/fd/1)"; seq 1 20000; exec sleep 5'], { cwd: tmp.dir, env: process.env, stdin: false });
      const chunks: Buffer[] = [];
      const errChunks: Buffer[] = [];
      running.stdout?.on('data', (b: Buffer) => chunks.push(b));
      running.stderr?.on('data', (b: Buffer) => errChunks.push(b));
      const text = () => Buffer.concat(chunks).toString();
      for (let i = 0; i < 250 && !text().endsWith('\n20000\n'); i++) await new Promise((r) => setTimeout(r, 20));
      const [head, ...rest] = text().split('\n');
      const [perl, pipe] = (head as string).split(' ') as [string, string];
      expect(pipe).toMatch(/^pipe:\[\d+\]$/);
      expect(rest.join('\n')).toBe(expected);
      const held = (pid: string | number) => readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkOr(`/proc/${pid}/fd/${fd}`));
      // The worker holds the pipe; the spawner closes its end though no later request carries the word.
      expect(held(process.pid)).toContain(pipe);
      for (let i = 0; i < 100 && held(perl).includes(pipe); i++) await new Promise((r) => setTimeout(r, 20));
      expect(held(perl)).not.toContain(pipe);
      process.kill(-(running.pid as number), 'SIGKILL');
      await new Promise((resolve) => running.once('close', resolve));
      expect(Buffer.concat(errChunks).toString()).toBe(expected);
    } finally {
      await spawner.close();
    }
  });

  it('gives short commands their whole output and stderr, though their start, output and exit come in one reply', async () => {
    for (let i = 0; i < 40; i++) {
      const r = await run(runner, `cat >/dev/null; echo out${i}; echo err${i} >&2`);
      expect(output(r)).toBe(`out${i}\n`);
      expect(r.log).toContain(`err${i}`);
      const failed = await run(runner, `echo why${i} >&2; exit 4`);
      expect(failed).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 4, error: `command exited with code 4: why${i}` });
    }
  });

  it('reports a start whose exec fails as a spawn error, never as a start, and the next command starts as usual', async () => {
    const spawner = createCommandSpawner(opts);
    try {
      const bad = await spawner.spawn(join(tmp.dir, 'no-such-program'), [], { cwd: tmp.dir, env: process.env, stdin: false });
      expect(bad.pid).toBeUndefined();
      await expect(new Promise((_, reject) => bad.once('error', reject))).rejects.toMatchObject({ code: 'ENOENT' });
      const good = await spawner.spawn('/bin/sh', ['-c', 'echo ok'], { cwd: tmp.dir, env: process.env, stdin: false });
      expect(good.pid).toBeGreaterThan(0);
      expect((await stdoutOf(good)).toString()).toBe('ok\n');
    } finally {
      await spawner.close();
    }
  });

  it('hands a 1 MiB output over whole, says a program not found as the shell does, kills a timed-out group, drops a queued start', async () => {
    const big = await run(runner, 'cat >/dev/null; head -c 1048576 /dev/zero | tr "\\0" x');
    expect(output(big)).toBe('x'.repeat(1 << 20));
    // Exec'd without the shell first (direct-argv.ts), which fails (F): the shell then says why, and exits 127.
    const missing = await run(runner, 'no-such-command-djc --flag');
    expect(missing).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 127, error: expect.stringContaining('no-such-command-djc: not found') });
    const pids = join(tmp.dir, `timeout-${kind}-${opts.syscalls?.length}`);
    const timedOut = await run(runner, `sleep 30 & echo $! > "${pids}"; wait`, 'x\n', { timeoutMs: 500 });
    expect(timedOut).toMatchObject({ ok: false, failure: 'timeout' });
    const sleeper = Number(readFileSync(pids, 'utf8').trim());
    for (let i = 0; i < 250 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(sleeper)).toBe(false);
    const spawner = createCommandSpawner(opts);
    try {
      const start = (command: string, more: Partial<Parameters<typeof spawner.spawn>[2]> = {}) => spawner.spawn('/bin/sh', ['-c', command], { cwd: tmp.dir, env: process.env, stdin: false, ...more });
      const first = await start('sleep 0.3; echo first');
      expect(spawner.kind()).toBe(kind);
      const drop = new AbortController();
      const dropped = start('echo dropped', { queued: true, drop: drop.signal });
      const next = start('echo next', { queued: true });
      drop.abort();
      const gone = await dropped;
      await expect(new Promise((_, reject) => gone.once('error', reject))).rejects.toBeInstanceOf(DroppedError);
      expect((await stdoutOf(first)).toString()).toBe('first\n');
      expect((await stdoutOf(await next)).toString()).toBe('next\n');
    } finally {
      await spawner.close();
    }
  });

  it('reports a missing working directory as a spawn error', async () => {
    const r = await run(runner, 'true', 'x\n', { baseDir: join(tmp.dir, 'nope') });
    expect(r).toMatchObject({ ok: false, failure: 'error', error: `cannot run the command: working directory ${join(tmp.dir, 'nope')} does not exist` });
  });

  it('keeps the worker\'s perl settings (PERL5OPT) for the commands, away from the spawner', async () => {
    process.env.PERL5OPT = '-MNo::Such::Module::Djc';
    const own = createCommandRunner(opts);
    try {
      const [opt, parent] = output(await run(own, 'cat >/dev/null; echo "$PERL5OPT $PPID"')).trim().split(' ');
      expect(opt).toBe('-MNo::Such::Module::Djc');
      expect(Number(parent)).not.toBe(process.pid);
    } finally {
      delete process.env.PERL5OPT;
      await own.close();
    }
  });

  it('when the spawner dies before it reports the start, what the command started is killed too', async () => {
    const own = createCommandRunner(opts);
    try {
      const pids = join(tmp.dir, `pids-unreported-${kind}-${opts.syscalls?.length}`);
      // The command kills the spawner at once: most often before the spawner has told the worker its pid.
      const attempt = run(own, `sleep 30 & echo "$!" > "${pids}.tmp"; mv "${pids}.tmp" "${pids}"; kill -9 $PPID; wait`);
      const r = await attempt;
      expect(r).toMatchObject({ ok: false, failure: 'error' });
      const sleeper = Number(readFileSync(pids, 'utf8').trim());
      for (let i = 0; i < 250 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
      expect(alive(sleeper)).toBe(false);
    } finally {
      await own.close();
    }
  });

  it('when the spawner dies, its running command is killed and fails the attempt; later commands start from Node', async () => {
    const own = createCommandRunner(opts);
    try {
      const pids = join(tmp.dir, `pids-${kind}-${opts.syscalls?.length}`);
      const attempt = run(own, `sleep 30 & echo "$PPID $!" > "${pids}.tmp"; mv "${pids}.tmp" "${pids}"; wait`);
      while (!existsSync(pids)) await new Promise((r) => setTimeout(r, 20));
      const [spawner, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
      process.kill(spawner, 'SIGKILL');
      const r = await attempt;
      expect(r).toMatchObject({ ok: false, failure: 'error', error: `cannot start the command: the command spawner (${spawnerName(kind)}) exited` });
      // The group got SIGKILL; on a busy machine the sleeper may take a moment to be scheduled to die.
      for (let i = 0; i < 250 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
      expect(alive(sleeper)).toBe(false);
      expect(Number(output(await run(own, PARENT)).trim())).toBe(process.pid);
    } finally {
      await own.close();
    }
  });
});

// The perl spawner calls setsid and dup3 by number where it knows them, else through POSIX; the compiled one has posix_spawn do it:
// every way gives a command the same start (and SIGCHLD, blocked in the spawner for its signalfd, is not blocked in the command).
describe.each<[string, Row[1]]>([
  ...(hasCc ? [['the compiled spawner', {}] as [string, Row[1]]] : []),
  ...(hasPerl ? [['the perl spawner, by system call number', { native: null, syscalls: spawnerSyscalls() }] as [string, Row[1]], ['the perl spawner, through POSIX', { native: null, syscalls: [] }] as [string, Row[1]]] : []),
])('%s\'s start of a command', (_, opts) => {
  it('leads its own session and group, no signal ignored or blocked, with stdin, stdout and stderr its own pipes', async () => {
    if (opts.syscalls?.length === 0) expect(spawnerSyscalls('mips')).toEqual([]);
    else if (opts.syscalls) expect(opts.syscalls.length).toBeGreaterThanOrEqual(2);
    const runner = createCommandRunner(opts);
    try {
      // After "(comm)" in /proc/PID/stat: state ppid pgrp session.
      const probe = 'read x; set -- $(cut -d")" -f2 /proc/$$/stat); echo "$x $$ $3 $4 $(grep -E "^Sig(Blk|Ign)" /proc/$$/status)"';
      const [word, self, group, session, , blocked, , ignored] = output(await run(runner, probe)).trim().split(/\s+/);
      expect([word, group, session, blocked, ignored]).toEqual(['alpha', self, self, '0000000000000000', '0000000000000000']);
      expect(await run(runner, 'echo oops >&2; exit 3')).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 3, error: 'command exited with code 3: oops' });
      // Exec'd without the shell (direct-argv.ts): the same pipes.
      expect(output(await run(runner, 'cat'))).toBe('alpha\nbeta\n');
    } finally {
      await runner.close();
    }
  });
});

describe('the choice of spawner', () => {
  it.runIf(hasCc)('the build made the compiled spawner, and commands start from it by default', async () => {
    expect(existsSync(NATIVE_SPAWNER)).toBe(true);
    const spawner = createCommandSpawner();
    try {
      const child = await spawner.spawn('/bin/sh', ['-c', 'echo "$PPID"'], { cwd: tmp.dir, env: process.env, stdin: false });
      const parent = Number((await stdoutOf(child)).toString().trim());
      expect(spawner.kind()).toBe('c');
      expect(readFileSync(`/proc/${parent}/comm`, 'latin1')).toBe('djc-spawner\n');
      expect(readlinkSync(`/proc/${parent}/exe`)).toBe(NATIVE_SPAWNER);
    } finally {
      await spawner.close();
    }
  });

  it.runIf(hasPerl)('perl when the compiled spawner is missing, does not start, or DJC_COMMAND_SPAWNER=perl', async () => {
    const kindOf = async (opts: { native?: string }) => {
      const spawner = createCommandSpawner(opts);
      try {
        const child = await spawner.spawn('/bin/sh', ['-c', 'echo ok'], { cwd: tmp.dir, env: process.env, stdin: false });
        expect((await stdoutOf(child)).toString()).toBe('ok\n');
        return spawner.kind();
      } finally {
        await spawner.close();
      }
    };
    expect(await kindOf({ native: join(tmp.dir, 'no-such-spawner') })).toBe('perl');
    // It runs but exits before it says it is ready.
    expect(await kindOf({ native: '/bin/false' })).toBe('perl');
    process.env.DJC_COMMAND_SPAWNER = 'perl';
    try {
      expect(await kindOf({})).toBe('perl');
    } finally {
      delete process.env.DJC_COMMAND_SPAWNER;
    }
  });
});

describe('command handlers without a spawner', () => {
  for (const [what, perl] of [['perl is not found', '/nonexistent/perl'], ['it is turned off', null]] as const) {
    it(`start from Node when ${what} (and no compiled spawner), with the same results`, async () => {
      const runner = createCommandRunner({ native: null, perl });
      try {
        expect(Number(output(await run(runner, PARENT)).trim())).toBe(process.pid);
        expect(output(await run(runner, 'wc -l'))).toMatch(/^\s*2\n$/);
        expect(await run(runner, 'exit 143')).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 143 });
        expect(await run(runner, 'kill -TERM $$')).toMatchObject({ ok: false, failure: 'signal', error: 'command killed by SIGTERM' });
      } finally {
        await runner.close();
      }
    });
  }

  it('DJC_COMMAND_SPAWNER=node turns it off', async () => {
    process.env.DJC_COMMAND_SPAWNER = 'node';
    const runner = createCommandRunner();
    delete process.env.DJC_COMMAND_SPAWNER;
    try {
      expect(Number(output(await run(runner, PARENT)).trim())).toBe(process.pid);
    } finally {
      await runner.close();
    }
  });
});
