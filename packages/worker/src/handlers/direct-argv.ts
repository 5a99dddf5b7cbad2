/**
 * GNU make's fast path for command handlers: a command that is one plain
 * simple command (words of ordinary characters: no quoting, expansion,
 * redirection, globbing, operators, comments, assignments) runs the same
 * whether /bin/sh starts it or the spawner execs it itself, so the spawner
 * execs it directly and the shell (its start-up, its vfork, its wait) is
 * saved: ~1 ms of CPU per command here (perf stat: `sh -c 'cat /dev/null'`
 * 1.9-2.3 ms vs `cat /dev/null` 0.9-1.2 ms).
 *
 * What stays with the shell: any character outside the plain set below, a
 * first word that is a shell builtin or keyword (of dash or of bash: a
 * builtin such as `echo` or `true` differs from its program in details,
 * `cd` or `exit` only exist in the shell), a first word with `=`. The
 * spawner also hands the command back to the shell if the exec fails (not
 * found, not executable, no #! line), so the shell says why and exits 126
 * or 127 as before. What the shell would have changed is reproduced: PWD
 * (command-spawner.ts), environment names that are not shell names are
 * dropped, and a death by signal reads as the shell's exit 128+n
 * (command-runner.ts).
 */

import { realpathSync } from 'node:fs';
import { basename } from 'node:path';

/** Characters a word may hold and still mean itself to the shell. */
const PLAIN_WORDS = /^[A-Za-z0-9_./:,+=%@ \t-]+$/;

/** Builtins and reserved words of dash and bash (`true`, `echo`, `test`… included: their programs differ in corner cases). */
const SHELL_WORDS = new Set([
  '!', '.', ':', '[', '[[', ']]', '{', '}', 'alias', 'bg', 'bind', 'break', 'builtin', 'caller', 'case', 'cd', 'chdir', 'command', 'compgen',
  'complete', 'compopt', 'continue', 'coproc', 'declare', 'dirs', 'disown', 'do', 'done', 'echo', 'elif', 'else', 'enable', 'esac', 'eval',
  'exec', 'exit', 'export', 'false', 'fc', 'fg', 'fi', 'for', 'function', 'getopts', 'hash', 'help', 'history', 'if', 'in', 'jobs', 'kill',
  'let', 'local', 'logout', 'mapfile', 'popd', 'printf', 'pushd', 'pwd', 'read', 'readarray', 'readonly', 'return', 'select', 'set', 'shift',
  'shopt', 'source', 'suspend', 'test', 'then', 'time', 'times', 'trap', 'true', 'type', 'typeset', 'ulimit', 'umask', 'unalias', 'unset',
  'until', 'wait', 'while',
]);

/** The argv to exec for `command` without a shell, or null when only the shell can run it as written. */
export function directArgv(command: string): string[] | null {
  if (!PLAIN_WORDS.test(command)) return null;
  const words = command.split(/[ \t]+/).filter((w) => w !== '');
  const first = words[0];
  if (first === undefined || first.includes('=') || SHELL_WORDS.has(first)) return null;
  return words;
}

/** A name the shell keeps in the environment it passes on (dash drops the others). */
export const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env` as dash passes it on to what it execs: without the variables whose names are not shell names. */
export function shellEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  let out: NodeJS.ProcessEnv | null = null;
  for (const k of Object.keys(env)) {
    if (SHELL_NAME.test(k)) continue;
    out ??= { ...env };
    delete out[k];
  }
  return out ?? env;
}

let dash: boolean | undefined;

/** /bin/sh is dash (Debian, Ubuntu): the shell whose start-up the direct path reproduces. */
export function shIsDash(): boolean {
  if (dash === undefined) {
    try {
      dash = process.platform === 'linux' && basename(realpathSync('/bin/sh')) === 'dash';
    } catch {
      dash = false;
    }
  }
  return dash;
}

/** glibc's strsignal(3) on Linux, as dash prints a child's death by signal. */
const SIGNAL_TEXT = ['', 'Hangup', 'Interrupt', 'Quit', 'Illegal instruction', 'Trace/breakpoint trap', 'Aborted', 'Bus error',
  'Floating point exception', 'Killed', 'User defined signal 1', 'Segmentation fault', 'User defined signal 2', 'Broken pipe', 'Alarm clock',
  'Terminated', 'Stack fault', 'Child exited', 'Continued', 'Stopped (signal)', 'Stopped', 'Stopped (tty input)', 'Stopped (tty output)',
  'Urgent I/O condition', 'CPU time limit exceeded', 'File size limit exceeded', 'Virtual timer expired', 'Profiling timer expired',
  'Window changed', 'I/O possible', 'Power failure', 'Bad system call'];

export function signalText(n: number): string {
  return SIGNAL_TEXT[n] ?? (n >= 34 && n <= 64 ? `Real-time signal ${n - 34}` : `Unknown signal ${n}`);
}
