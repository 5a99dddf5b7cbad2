/**
 * Where the local backend keeps its state (the "home"), found by one rule
 * that every djc process applies the same way:
 *
 * 1. `--home DIR` (a flag), else
 * 2. `DJC_HOME`, else
 * 3. the nearest directory named `.djc` in the current directory or one of
 *    its parents (as git finds `.git`), else
 * 4. the per-user home: `$XDG_STATE_HOME/djc`, by default
 *    `~/.local/state/djc`.
 *
 * A relative flag or DJC_HOME is taken from the current directory. The
 * result is always absolute, so a worker given it in DJC_HOME finds the same
 * state from any directory or node.
 *
 * Light on purpose (`@djc/core/backends/home`): the CLI resolves its home and
 * backend name here before it knows whether it opens a backend at all (a
 * remote read never does), without loading the backends.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Which step of the rule chose the home. */
export type HomeSource = 'flag' | 'env' | 'found' | 'user';

export interface ResolvedHome {
  /** Absolute path of the home directory (it may not exist yet). */
  home: string;
  source: HomeSource;
  /** The directory the upward search started from. */
  cwd: string;
}

export interface BackendSettings {
  backend?: string;
  home?: string;
  /** aws backend names (else DJC_TABLE, DJC_BUCKET, DJC_QUEUE). */
  table?: string;
  bucket?: string;
  queue?: string;
}

/** The backend name and the local home (absolute; by the rule above). */
export function resolveBackendSettings(s: BackendSettings, env: NodeJS.ProcessEnv = process.env): { backend: string; home: string; resolvedHome: ResolvedHome } {
  const resolvedHome = resolveHome(s.home, env);
  return { backend: s.backend ?? env.DJC_BACKEND ?? 'local', home: resolvedHome.home, resolvedHome };
}

/** The name of a project-local home that the upward search looks for. */
export const HOME_DIR_NAME = '.djc';

export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedHome {
  if (flag) return { home: resolve(cwd, flag), source: 'flag', cwd };
  if (env.DJC_HOME) return { home: resolve(cwd, env.DJC_HOME), source: 'env', cwd };
  const found = findUp(cwd);
  if (found) return { home: found, source: 'found', cwd };
  return { home: userHome(env), source: 'user', cwd };
}

/** The nearest `<dir>/.djc` directory from `start` up to the root, or null. */
export function findUp(start: string): string | null {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, HOME_DIR_NAME);
    if (isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * `$XDG_STATE_HOME/djc`; the XDG spec says to ignore a relative
 * XDG_STATE_HOME, and its default is `~/.local/state`.
 */
export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'djc');
}

/** Why this home: "from DJC_HOME", "the per-user home: no .djc in /x or its parents", … */
export function homeReason(r: ResolvedHome): string {
  switch (r.source) {
    case 'flag': return 'from --home';
    case 'env': return 'from DJC_HOME';
    case 'found': return `the nearest .djc from ${r.cwd}`;
    default: return `the per-user home: no .djc in ${r.cwd} or its parents`;
  }
}

/** For messages and --verbose: where the home is and why. */
export function describeHome(r: ResolvedHome): string {
  return `${r.home} (${homeReason(r)})`;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
