/**
 * The command line itself: numeric options all fail the same way (exit 2,
 * the option and the form named), --version is package.json's, every
 * subcommand's help has the global options and an example, and
 * `djc completion bash` loads in bash and completes commands, options and
 * job ids.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DJC, ROOT, sandboxPerTest } from './helpers.js';
import { writeJob } from './home-helpers.js';

const box = sandboxPerTest('djc-cli-');

describe('numeric options', () => {
  const cases: [string[], string][] = [
    [['list', '--limit', 'abc'], '--limit expects a whole number, 1 or more; got "abc"'],
    [['list', '--limit', '1.5'], '--limit expects a whole number, 1 or more; got "1.5"'],
    [['list', '--limit', '0'], '--limit expects a whole number, 1 or more; got "0"'],
    [['tasks', 'x', '--limit', '-3'], '--limit expects a whole number, 1 or more; got "-3"'],
    [['logs', 'x', '--task', 'three'], '--task expects a whole number, 0 or more; got "three"'],
    [['results', 'x', '--task', '1e3'], '--task expects a whole number, 0 or more; got "1e3"'],
    [['wait', 'x', '--interval', 'soon'], '--interval expects a duration, from 100ms to 1h: seconds (2, 0.5) or with a unit (500ms, 2s, 1m, 1h); got "soon"'],
    [['wait', 'x', '--interval', '1e20'], '--interval expects a duration, from 100ms to 1h'],
    [['worker', '--concurrency', 'many'], '--concurrency expects a whole number, from 1 to 10000; got "many"'],
    [['worker', '--grace', '-1'], '--grace expects a duration, from 0ms to 7d'],
  ];
  it('a bad value is exit 2 with a message naming the option and the form, never an internal error', async () => {
    for (const [args, message] of cases) {
      const r = await box.run(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toContain(`djc: ${message}`);
      expect(r.stderr).toMatch(/hint: e\.g\. --[a-z]+ \S+/);
      expect(r.stderr).not.toContain('internal error');
    }
    const json = await box.run(['list', '--limit', 'abc', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'USAGE', message: '--limit expects a whole number, 1 or more; got "abc"' } });
  });

  it('good values are taken: --limit, --interval with a unit', async () => {
    const file = writeJob(box.dir, 'n');
    expect((await box.run(['run', file])).code).toBe(0);
    expect(await box.run(['list', '-q', '--limit', '1'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^n-\d{14}-[0-9a-f]{6}\n$/) });
    expect((await box.run(['wait', 'n', '--interval', '250ms'])).code).toBe(0);
  });
});

describe('version and help', () => {
  it('--version prints the version in packages/cli/package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string };
    // --version or -V alone is answered by bin.js before the program loads; with another option, by the program: the same answer.
    for (const args of [['--version'], ['-V'], ['--json', '--version']]) {
      expect({ args, ...(await box.run(args)) }).toMatchObject({ args, code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('each subcommand\'s help lists the global options and shows an example', async () => {
    for (const cmd of ['run', 'submit', 'validate', 'status', 'list', 'tasks', 'logs', 'wait', 'cancel', 'pause', 'resume', 'retry', 'results', 'coordinator', 'worker', 'setup', 'completion']) {
      const r = await box.run([cmd, '--help']);
      expect({ cmd, code: r.code }).toEqual({ cmd, code: 0 });
      expect(r.stdout).toContain('Global Options:');
      expect(r.stdout).toContain('--home <dir>');
      expect(r.stdout).toMatch(new RegExp(`\\nExample:\\n {2}\\$ [^\\n]*djc ${cmd}`));
    }
    const status = (await box.run(['status', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(status).toContain('job JOB: id, unique id prefix, job name (its newest run) or "last"; default: the newest job');
  });
});

describe('shell completion', () => {
  /** Runs `script` in bash with a `djc` on PATH that is this build, in the sandbox, with its DJC_HOME. */
  function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const bin = join(box.dir, 'djc');
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${DJC}" "$@"\n`);
    chmodSync(bin, 0o755);
    return new Promise((resolve) => {
      execFile('bash', ['--norc', '--noprofile', '-c', script], {
        cwd: box.dir, env: { ...process.env, PATH: `${box.dir}:${process.env.PATH ?? ''}`, DJC_HOME: box.home },
      }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
    });
  }

  it('bash sources the script without error and completes commands, options, values and job ids', async () => {
    const file = writeJob(box.dir, 'wc');
    const run = await box.run(['run', file, '--json']);
    const { jobId } = JSON.parse(run.stdout) as { jobId: string };
    const complete = (words: string[]) => `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _djc; echo "${words.join(' ')} => \${COMPREPLY[*]}"`;
    const r = await bash([
      'set -e',
      'source <(djc completion bash)',
      'complete -p djc',
      complete(['djc', 'sta']),
      complete(['djc', 'c']),
      complete(['djc', 'list', '--li']),
      complete(['djc', 'tasks', '--status', 'fa']),
      complete(['djc', '--backend', '']),
      complete(['djc', 'status', '']),
      complete(['djc', '--home', box.home, 'logs', 'w']),
      complete(['djc', 'completion', '']),
      complete(['djc', 'token', '']),
    ].join('\n'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'complete -F _djc djc',
      'djc sta => status',
      'djc c => cancel coordinator completion',
      'djc list --li => --limit',
      'djc tasks --status fa => failed',
      'djc --backend  => local aws',
      `djc status  => last wc ${jobId}`,
      `djc --home ${box.home} logs w => wc ${jobId}`,
      'djc completion  => bash zsh',
      'djc token  => create list revoke',
      '',
    ]);
  });

  it('zsh gets a script too; another shell is a usage error', async () => {
    const zsh = await box.run(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.startsWith('#compdef djc\n')).toBe(true);
    expect(zsh.stdout).toContain('complete -F _djc djc');
    const fish = await box.run(['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain('no completion for the shell "fish"');
  });
});
