/**
 * Remembers module refs the probe (module-probe.ts) found good, so that a
 * submit of an unchanged handler skips the probe's child process (a Node
 * start: ~60-200 ms of a submit's wall time, issue 14).
 *
 * An entry is written only for an 'ok' outcome, and only when the child saw
 * every file it loaded (a module-load hook; see module-probe-child.ts) and
 * none was TypeScript (compiled through tsx's own loader, which the hook
 * may not see). It holds each loaded file's size, mtime and inode. It is
 * used only while all of those are unchanged, for the same ref, working
 * directory, Node binary and version, and environment (a module's top level
 * may read it). Failures are never remembered: a broken module is probed
 * again each time, so its error is always current.
 *
 * What the entry cannot see: files a module's top level reads without
 * importing them, or the network. If such a read now fails, the submit
 * passes and the first attempt fails with the module's error, as it would
 * for a module that breaks after the submit.
 *
 * Entries live in one directory (the home's `module-probe/`, created only
 * under an existing home): one small JSON file per key. Any I/O error reads
 * as a miss or skips the write: the cache never makes a check fail.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Entry {
  v: 1;
  /** [path, size, mtimeMs, ino] of every file the probe loaded for the ref. */
  files: Array<[string, number, number, number]>;
}

const TS = /\.(ts|mts|cts|tsx)$/;

/** The file holding a ref's entry: a hash of everything the outcome depends on besides the files. */
function entryFile(dir: string, ref: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const envText = Object.keys(env).sort().map((k) => `${k}=${env[k] ?? ''}`).join('\0');
  const key = JSON.stringify([ref, cwd, process.execPath, process.version, envText]);
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

function fileStamp(path: string): [string, number, number, number] | null {
  try {
    const s = statSync(path);
    return [path, s.size, s.mtimeMs, s.ino];
  } catch {
    return null;
  }
}

/** True when `ref` was probed good with every file it loaded unchanged since. */
export function probedBefore(dir: string, ref: string, cwd: string, env: NodeJS.ProcessEnv): boolean {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryFile(dir, ref, cwd, env), 'utf8')) as Entry;
  } catch {
    return false;
  }
  if (entry?.v !== 1 || !Array.isArray(entry.files) || entry.files.length === 0) return false;
  return entry.files.every((f) => {
    const now = Array.isArray(f) ? fileStamp(String(f[0])) : null;
    return now !== null && now[1] === f[1] && now[2] === f[2] && now[3] === f[3];
  });
}

/**
 * Remembers that `ref` loaded fine, having loaded `files` (absolute paths,
 * the module's own among them). Skipped when the list cannot be trusted
 * (no list, the module itself not in it, TypeScript), when a file changed
 * while it was probed (newer than `probeStartedMs`), or when `dir`'s parent
 * (the home) does not exist.
 */
export function rememberProbed(dir: string, ref: string, cwd: string, env: NodeJS.ProcessEnv, file: string, files: readonly string[] | undefined, probeStartedMs: number): void {
  if (!files || !files.includes(file) || files.some((f) => TS.test(f))) return;
  const stamps: Entry['files'] = [];
  for (const f of files) {
    const s = fileStamp(f);
    if (s === null || s[2] >= probeStartedMs) return;
    stamps.push(s);
  }
  try {
    if (!existsSync(dirname(dir))) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = entryFile(dir, ref, cwd, env);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 1, files: stamps } satisfies Entry), { mode: 0o600 });
    renameSync(tmp, target);
  } catch {
    // A read-only or full home: the next submit probes again.
  }
}
