/**
 * A cheap look at `handler.command` before any task runs: when the program
 * it starts is named plainly (`python3 score.py`, `./bin/score`), is it
 * there and executable? Commands that start with anything the shell would
 * expand (`$TOOL`, quotes, globs, subshells) or with a shell builtin are
 * not checked: only the shell can tell what they run.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, resolve } from 'node:path';

/** The program a command starts, if it is named plainly; null when only the shell could tell. */
export function commandProgram(command: string): string | null {
  const words = command.trim().split(/\s+/);
  let i = 0;
  // Leading variable assignments (FOO=1 BAR=x cmd) set the environment of the command.
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=[^\s'"`$\\]*$/.test(words[i] as string)) i++;
  const word = words[i];
  if (word === undefined || word === '' || /[$`'"\\(){}[\]*?;&|<>~!#]/.test(word)) return null;
  if (SHELL_WORDS.has(word)) return null;
  return word;
}

const SHELL_WORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'while', 'until', 'do', 'done', 'in', 'function', 'select', 'time',
  '.', ':', 'alias', 'bg', 'break', 'builtin', 'cd', 'command', 'continue', 'echo', 'eval', 'exec', 'exit', 'export', 'false',
  'fg', 'getopts', 'hash', 'jobs', 'kill', 'let', 'local', 'printf', 'pwd', 'read', 'readonly', 'return', 'set', 'shift',
  'source', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
]);

export type ProgramLookup =
  | { found: true }
  | { found: false; reason: 'missing' | 'not-executable' | 'not-a-file'; where: string };

/**
 * Looks `program` up as the shell would from `cwd`: a name with a slash is
 * a path (relative to `cwd`); a bare name is searched in `pathVar` ($PATH).
 */
export async function lookupProgram(program: string, cwd: string, pathVar: string | undefined): Promise<ProgramLookup> {
  if (program.includes('/')) {
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return checkExecutable(file);
  }
  const dirs = (pathVar ?? '').split(delimiter).map((d) => resolve(cwd, d === '' ? '.' : d));
  for (const dir of dirs) {
    if ((await checkExecutable(resolve(dir, program))).found) return { found: true };
  }
  return { found: false, reason: 'missing', where: `PATH=${pathVar ?? ''}` };
}

async function checkExecutable(file: string): Promise<ProgramLookup> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { found: false, reason: 'not-a-file', where: file };
  } catch {
    return { found: false, reason: 'missing', where: file };
  }
  try {
    await access(file, constants.X_OK);
    return { found: true };
  } catch {
    return { found: false, reason: 'not-executable', where: file };
  }
}
