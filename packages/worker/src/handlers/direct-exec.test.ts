import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { output, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createCommandRunner, type CommandRunner } from './command-runner.js';
import { directArgv, shIsDash } from './direct-argv.js';
import type { AttemptResult } from './types.js';

const TEXT = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };

describe('directArgv', () => {
  it('splits a plain simple command into its words', () => {
    expect(directArgv('wc -l')).toEqual(['wc', '-l']);
    expect(directArgv('  ./bin/tool  --mode=fast\tx,y:z@1+2%3 ')).toEqual(['./bin/tool', '--mode=fast', 'x,y:z@1+2%3']);
    expect(directArgv('/usr/bin/env')).toEqual(['/usr/bin/env']);
  });

  it('leaves to the shell what only the shell means', () => {
    for (const c of ['', '   ', 'cat "a b"', "cat 'a'", 'cat a\\ b', 'echo $HOME', 'ls *.txt', 'ls ~', 'a; b', 'a && b', 'a | b', 'a > f', 'a < f', 'a &',
      '(a)', '{ a; }', 'a # c', 'a\nb', 'ls [ab]', 'ls a?', 'cat `x`', 'FOO=1 env', 'ls é']) {
      expect(directArgv(c), c).toBeNull();
    }
    for (const c of ['true', 'false', 'echo hi', 'printf x', 'test -f x', '[ -f x ]', 'cd /', 'exit 3', 'exec ls', 'read x', 'if', 'for', 'while', 'time ls', 'source x', '. x', 'kill 1', 'pwd']) {
      expect(directArgv(c), c).toBeNull();
    }
  });
});

const canDirect = process.platform === 'linux' && existsSync('/usr/bin/perl') && shIsDash();

describe.runIf(canDirect)('a plain command exec\'d without the shell behaves as through sh -c', () => {
  let tmp: ReturnType<typeof tempDir>;
  let direct: CommandRunner;
  let shell: CommandRunner;
  beforeAll(() => {
    tmp = tempDir();
    direct = createCommandRunner();
    shell = createCommandRunner({ direct: false });
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    const script = (name: string, text: string, mode = 0o755) => {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), mode);
    };
    // What started it: the spawner (exec'd directly) or a shell.
    script('parent', '#!/bin/sh\ncat /proc/$PPID/comm\n');
    script('args', '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n');
    script('no-shebang', 'echo "no #! line: $#"\n');
    script('not-executable', '#!/bin/sh\necho ran\n', 0o644);
    script('segv', '#!/bin/sh\nkill -SEGV $$\n');
    script('stdin', '#!/bin/sh\nwc -l\n');
  });
  afterAll(async () => {
    await Promise.all([direct.close(), shell.close()]);
    tmp.cleanup();
  });

  const run = (runner: CommandRunner, command: string, env: Record<string, string> = {}): Promise<AttemptResult> => {
    const batch = writeBatch(tmp.dir, `in-${Math.random().toString(36).slice(2)}.txt`, 'a\nb\nc\n', 3);
    const s = spec(tmp.dir, batch, { command, input: TEXT, env: { PATH: `${join(tmp.dir, 'bin')}:${process.env.PATH}`, ...env } });
    return runner.run(s, s.signal);
  };
  /** The two results with what differs per attempt (task ids, scope tags, log timestamps) taken out. */
  const both = async (command: string, env: Record<string, string> = {}) => {
    const [d, s] = await Promise.all([run(direct, command, env), run(shell, command, env)]);
    const clean = (r: AttemptResult) => {
      const { usage: _u, log, ...rest } = r as AttemptResult & { usage?: unknown };
      const out = r.ok ? output(r).split('\n').filter((l) => !/^(DJC_|TRACEPARENT=)/.test(l)).join('\n') : undefined;
      return { ...rest, ...(r.ok ? { output: out } : {}), log: log.replace(/^\S+ /gm, '') };
    };
    return { direct: clean(d), shell: clean(s) };
  };

  it('is exec\'d by the spawner, not by a shell (and the shell path is a shell)', async () => {
    const { direct: d, shell: s } = await both('parent');
    expect(d).toMatchObject({ ok: true, output: 'djc-spawner\n' });
    expect(s).toMatchObject({ ok: true, output: 'sh\n' });
  });

  it('finds the program on PATH and passes its arguments word by word', async () => {
    const { direct: d, shell: s } = await both('args  one\ttwo=2 --three -4 a,b:c@d%e+f ./g');
    expect(d).toEqual(s);
    expect(d).toMatchObject({ ok: true, output: '[one]\n[two=2]\n[--three]\n[-4]\n[a,b:c@d%e+f]\n[./g]\n' });
  });

  it('passes the environment as dash does: PWD set, names that are not shell names dropped', async () => {
    const { direct: d, shell: s } = await both('env', { 'BAD-NAME': 'x', GOOD_NAME: 'y', PWD: '/nonexistent' });
    // The same variables; dash lists them in its own (hash) order.
    const sorted = (r: typeof d) => ({ ...r, output: ((r as { output: string }).output ?? '').split('\n').sort() });
    expect(sorted(d)).toEqual(sorted(s));
    const lines = (d as { output: string }).output.split('\n');
    expect(lines).toContain(`PWD=${tmp.dir}`);
    expect(lines).toContain('GOOD_NAME=y');
    expect(lines.some((l) => l.startsWith('BAD-NAME='))).toBe(false);
  });

  it('feeds stdin to the program itself', async () => {
    const { direct: d, shell: s } = await both('stdin');
    expect(d).toEqual(s);
    expect(d).toMatchObject({ ok: true, output: '3\n' });
  });

  it('a missing command: the shell\'s error and exit code 127', async () => {
    const { direct: d, shell: s } = await both('no-such-command-djc arg');
    expect(d).toEqual(s);
    expect(d).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 127, error: expect.stringContaining('no-such-command-djc: not found') });
  });

  it('a file that is not executable: skipped on PATH (127), 126 by its path; a script without #!: run by sh', async () => {
    const a = await both('not-executable');
    expect(a.direct).toEqual(a.shell);
    expect(a.direct).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 127 });
    const p = await both('./bin/not-executable');
    expect(p.direct).toEqual(p.shell);
    expect(p.direct).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 126, error: expect.stringContaining('Permission denied') });
    const b = await both('no-shebang x y');
    expect(b.direct).toEqual(b.shell);
    expect(b.direct).toMatchObject({ ok: true, output: 'no #! line: 2\n' });
  });

  it('a death by signal reads as the shell\'s exit 128+n', async () => {
    const { direct: d, shell: s } = await both('segv');
    expect(d).toEqual(s);
    expect(d).toMatchObject({ ok: false, failure: 'exit_code', exitCode: 139 });
  });

  it('a working directory that is missing fails the same way', async () => {
    const batch = writeBatch(tmp.dir, 'gone.txt', 'a\n', 1);
    const go = (r: CommandRunner) => {
      const s = spec(tmp.dir, batch, { command: 'env', input: TEXT, baseDir: join(tmp.dir, 'missing-dir') });
      return r.run(s, s.signal);
    };
    const [d, s] = await Promise.all([go(direct), go(shell)]);
    expect(d).toMatchObject({ ok: false, failure: 'error', error: expect.stringContaining('does not exist') });
    expect(d.ok === false && d.error).toBe(s.ok === false && s.error);
  });
});
