/**
 * For tests of where djc keeps its state: djc run with a chosen cwd and a
 * fully controlled environment (HOME inside the sandbox, no DJC_* and no
 * XDG_STATE_HOME unless the test sets them), and a listing of every path
 * under a directory to prove that nothing appeared.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DJC, type CliResult } from './helpers.js';

export interface Place {
  /** The sandbox root (a temp dir). */
  root: string;
  /** $HOME of the djc processes: <root>/user. */
  user: string;
  /** The per-user home djc uses when no .djc is found: <user>/.local/state/djc. */
  userHome: string;
}

export function place(root: string): Place {
  const user = join(root, 'user');
  mkdirSync(user, { recursive: true });
  return { root, user, userHome: join(user, '.local', 'state', 'djc') };
}

/** `djc ...args` in `cwd`, HOME = p.user; `env` adds variables (DJC_HOME, XDG_STATE_HOME, …). */
export function djcAt(p: Place, cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DJC_') && !k.startsWith('XDG_')) base[k] = v;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [DJC, ...args], { cwd, env: { ...base, HOME: p.user, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * `.djc` directories in the parents of `dir`: a test of the upward search
 * needs none (one left in /tmp by hand would be found by every sandbox).
 */
export function homesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    try {
      if (statSync(join(d, '.djc')).isDirectory()) found.push(join(d, '.djc'));
    } catch {
      // none here
    }
    if (dirname(d) === d) return found;
  }
}

/** Every file and directory under `dir`, relative to it, sorted. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A job `name` in `dir` (job.yaml and in.txt): `records` lines in batches of
 * one; each task prints the parameter `tag` once per record, so results tell
 * runs apart (`--set params.tag=…`).
 */
export function writeJob(dir: string, name: string, records = 1): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'in.txt'), Array.from({ length: records }, (_, i) => `line ${i}\n`).join(''));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
parameters: { tag: none }
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: "sed 's/.*/\${params.tag}/'" }
compute: { workers: 1 }
`);
  return file;
}
