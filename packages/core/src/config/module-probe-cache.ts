/**
 * Remembers module refs the probe (module-probe.ts) found good, so that a
 * submit of an unchanged handler skips the probe's child process (a Node
 * start: ~60-200 ms of a submit's wall time, issue 14).
 *
 * An entry is written only for an 'ok' outcome, and only when the child saw
 * every file it loaded (a module-load hook; see module-probe-child.ts) and
 * none was TypeScript (compiled through tsx's own loader, which the hook
 * may not see). It holds each loaded file's size, mtime and inode, and a
 * hash of the environment variables the child read (and of every NODE_*,
 * which Node also reads in C++; of all of them if a module enumerated the
 * environment): never their values. It is used only while all of those are
 * unchanged, for the same ref, working directory, Node binary and version.
 * A variable nothing read (a CI's per-run CI_JOB_ID, bash's `_`) does not
 * make a miss. Failures are never remembered: a broken module is probed
 * again each time, so its error is always current.
 *
 * What the entry cannot see: files a module's top level reads without
 * importing them, or the network. If such a read now fails, the submit
 * passes and the first attempt fails with the module's error, as it would
 * for a module that breaks after the submit.
 *
 * Entries live in one directory (the home's `module-probe/`, created only
 * under an existing home): one small JSON file per key. Each write (after a
 * miss) prunes it: entries not written for PRUNE_AFTER_MS go, then the
 * oldest beyond MAX_ENTRIES (a CI checking out to a new directory per run
 * makes new keys). Any I/O error reads as a miss or skips the write: the
 * cache never makes a check fail.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Entry {
  v: 2;
  /** [path, size, mtimeMs, ino] of every file the probe loaded for the ref. */
  files: Array<[string, number, number, number]>;
  /** The variables the probe read ('*': it enumerated them all). */
  envNames: string[] | '*';
  /** envHash of them when it was probed. */
  env: string;
}

const TS = /\.(ts|mts|cts|tsx)$/;
/** Most entries kept; the oldest beyond go at the next write. */
export const MAX_ENTRIES = 256;
/** An entry not written for this long goes at the next write. */
export const PRUNE_AFTER_MS = 30 * 86_400_000;

/** The file holding a ref's entry: a hash of the ref, the working directory and the Node binary and version. */
function entryFile(dir: string, ref: string, cwd: string): string {
  const key = JSON.stringify([ref, cwd, process.execPath, process.version]);
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

/** A hash of the values of `names` (every variable for '*') and of every NODE_* variable; an unset one differs from an empty one. */
function envHash(env: NodeJS.ProcessEnv, names: readonly string[] | '*'): string {
  const all = names === '*' ? Object.keys(env) : [...names, ...Object.keys(env).filter((k) => k.startsWith('NODE_'))];
  const text = [...new Set(all)].sort().map((k) => (env[k] === undefined ? `${k}\u0001` : `${k}=${env[k]}`)).join('\0');
  return createHash('sha256').update(text).digest('hex');
}

function fileStamp(path: string): [string, number, number, number] | null {
  try {
    const s = statSync(path);
    return [path, s.size, s.mtimeMs, s.ino];
  } catch {
    return null;
  }
}

/** True when `ref` was probed good with every file it loaded, and every variable it read, unchanged since. */
export function probedBefore(dir: string, ref: string, cwd: string, env: NodeJS.ProcessEnv): boolean {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryFile(dir, ref, cwd), 'utf8')) as Entry;
  } catch {
    return false;
  }
  if (entry?.v !== 2 || !Array.isArray(entry.files) || entry.files.length === 0) return false;
  if (!(entry.envNames === '*' || Array.isArray(entry.envNames)) || entry.env !== envHash(env, entry.envNames)) return false;
  return entry.files.every((f) => {
    const now = Array.isArray(f) ? fileStamp(String(f[0])) : null;
    return now !== null && now[1] === f[1] && now[2] === f[2] && now[3] === f[3];
  });
}

/**
 * Remembers that `ref` loaded fine, having loaded `files` (absolute paths,
 * the module's own among them) and read the variables `envNames`. Skipped
 * when a list cannot be trusted (none, the module itself not in the files,
 * TypeScript), when a file changed while it was probed (newer than
 * `probeStartedMs`), or when `dir`'s parent (the home) does not exist.
 */
export function rememberProbed(
  dir: string, ref: string, cwd: string, env: NodeJS.ProcessEnv, file: string,
  files: readonly string[] | undefined, envNames: readonly string[] | '*' | undefined, probeStartedMs: number,
): void {
  if (!files || !files.includes(file) || files.some((f) => TS.test(f)) || envNames === undefined) return;
  const stamps: Entry['files'] = [];
  for (const f of files) {
    const s = fileStamp(f);
    if (s === null || s[2] >= probeStartedMs) return;
    stamps.push(s);
  }
  try {
    if (!existsSync(dirname(dir))) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = entryFile(dir, ref, cwd);
    const tmp = `${target}.${process.pid}.tmp`;
    const names = envNames === '*' ? '*' : [...new Set(envNames)].sort();
    writeFileSync(tmp, JSON.stringify({ v: 2, files: stamps, envNames: names, env: envHash(env, names) } satisfies Entry), { mode: 0o600 });
    renameSync(tmp, target);
    pruneEntries(dir, Date.now());
  } catch {
    // A read-only or full home: the next submit probes again.
  }
}

/** Drops entries (and leftover temp files) not written for PRUNE_AFTER_MS, then the oldest beyond MAX_ENTRIES. */
export function pruneEntries(dir: string, nowMs: number): void {
  const entries: Array<{ path: string; mtimeMs: number }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stamp = fileStamp(path);
    if (stamp === null) continue;
    if (nowMs - stamp[2] > PRUNE_AFTER_MS || (name.endsWith('.tmp') && nowMs - stamp[2] > 60_000)) rmSync(path, { force: true });
    else if (name.endsWith('.json')) entries.push({ path, mtimeMs: stamp[2] });
  }
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const e of entries.slice(MAX_ENTRIES)) rmSync(e.path, { force: true });
}
