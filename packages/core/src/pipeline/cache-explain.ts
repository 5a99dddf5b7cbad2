/**
 * Why a stage run must run: its cache components now against those of the
 * newest earlier run of the same stage (same pipeline name), component by
 * component, in words a person acts on ("handler file clean.ts changed",
 * "setting input.batch.records 5000 → 10000", "upstream clean will run").
 * An empty list means the keys are equal: the earlier run can be re-used.
 */
import { isAbsolute, relative } from 'node:path';
import type { CacheComponents, CodeComponent, FileHash, InputComponent, InputFile } from './cache-components.js';
import { canonicalJson } from './cache-hash.js';

export type MissKind = 'none' | 'handler' | 'reducer' | 'setting' | 'param' | 'point' | 'input' | 'upstream' | 'format';

export interface MissReason {
  /** Which component differs. */
  kind: MissKind;
  /** The reason, for people. */
  text: string;
}

export interface ExplainOptions {
  /** Paths under it are shown relative to it (the pipeline file's directory); others in full. */
  baseDir?: string;
}

/** Files named one by one in a reason; past this, "and N more". */
const LISTED = 3;

/** The reasons `now` misses `prev` (null: there is no earlier run). */
export function explainMiss(prev: CacheComponents | null, now: CacheComponents, opts: ExplainOptions = {}): MissReason[] {
  if (prev === null) return [{ kind: 'none', text: 'no earlier run' }];
  const show = (p: string): string => showPath(p, opts.baseDir);
  const reasons: MissReason[] = [
    ...codeReasons('handler', prev.handler, now.handler, show),
    ...reducerReasons(prev.reducer, now.reducer, show),
    ...valueReasons('setting', 'setting', prev.settings, now.settings),
    ...valueReasons('param', 'parameter', prev.params, now.params),
    ...valueReasons('point', 'matrix value', prev.point ?? {}, now.point ?? {}),
    ...inputReasons(prev.input, now.input, show),
  ];
  if (reasons.length === 0 && canonicalJson(prev) !== canonicalJson(now)) {
    reasons.push({ kind: 'format', text: 'the cache entry was written by another version of djc' });
  }
  return reasons;
}

function codeReasons(kind: 'handler' | 'reducer', prev: CodeComponent, now: CodeComponent, show: (p: string) => string): MissReason[] {
  const r = (text: string): MissReason => ({ kind, text });
  if (prev.kind !== now.kind) return [r(`${kind} is now a ${now.kind} (was a ${prev.kind})`)];
  if (prev.kind === 'module' && now.kind === 'module') {
    const out: MissReason[] = [];
    if (prev.entry !== now.entry) out.push(r(`${kind} module ${show(prev.entry)} → ${show(now.entry)}`));
    if (prev.export !== now.export) out.push(r(`${kind} export ${prev.export} → ${now.export}`));
    out.push(...fileReasons(kind, prev.files, now.files, show));
    out.push(...packageReasons(kind, prev.packages, now.packages));
    return out;
  }
  if (prev.kind === 'command' && now.kind === 'command') {
    const out: MissReason[] = [];
    if (prev.command !== now.command) out.push(r(`${kind} command ${JSON.stringify(prev.command)} → ${JSON.stringify(now.command)}`));
    out.push(...fileReasons(kind, prev.files, now.files, show));
    return out;
  }
  return [];
}

function reducerReasons(prev: CodeComponent | null, now: CodeComponent | null, show: (p: string) => string): MissReason[] {
  if (prev === null && now === null) return [];
  if (prev === null) return [{ kind: 'reducer', text: 'output.reduce added' }];
  if (now === null) return [{ kind: 'reducer', text: 'output.reduce removed' }];
  return codeReasons('reducer', prev, now, show);
}

function fileReasons(kind: 'handler' | 'reducer', prev: readonly FileHash[], now: readonly FileHash[], show: (p: string) => string): MissReason[] {
  const before = new Map(prev.map((f) => [f.path, f.sha256]));
  const after = new Map(now.map((f) => [f.path, f.sha256]));
  const lines: string[] = [];
  for (const [path, sha] of after) {
    if (!before.has(path)) lines.push(sha === null ? `${kind} now imports ${show(path)}, which does not exist` : `${kind} file ${show(path)} added`);
    else if (before.get(path) !== sha) lines.push(changedFile(kind, show(path), before.get(path) ?? null, sha));
  }
  for (const path of before.keys()) if (!after.has(path)) lines.push(`${kind} file ${show(path)} no longer used`);
  return capped(lines, (n) => `and ${n} more ${kind} files changed`).map((text) => ({ kind, text }));
}

function changedFile(kind: string, path: string, before: string | null, after: string | null): string {
  if (after === null) return `${kind} file ${path} was deleted`;
  if (before === null) return `${kind} file ${path} was created`;
  return `${kind} file ${path} changed (sha ${short(before)} → ${short(after)})`;
}

function packageReasons(kind: string, prev: Readonly<Record<string, string | null>>, now: Readonly<Record<string, string | null>>): MissReason[] {
  const out: MissReason[] = [];
  const ver = (v: string | null | undefined): string => v ?? 'not installed';
  for (const [name, v] of Object.entries(now)) {
    if (!(name in prev)) out.push({ kind: 'handler', text: `${kind} now imports package ${name} (${ver(v)})` });
    else if (prev[name] !== v) out.push({ kind: 'handler', text: `package ${name} ${ver(prev[name])} → ${ver(v)}` });
  }
  for (const name of Object.keys(prev)) if (!(name in now)) out.push({ kind: 'handler', text: `${kind} no longer imports package ${name}` });
  return out.map((m) => ({ ...m, kind: kind === 'reducer' ? 'reducer' : 'handler' }));
}

function valueReasons(kind: MissKind, noun: string, prev: Readonly<Record<string, unknown>>, now: Readonly<Record<string, unknown>>): MissReason[] {
  const out: MissReason[] = [];
  const keys = [...new Set([...Object.keys(prev), ...Object.keys(now)])].sort();
  for (const k of keys) {
    const [a, b] = [prev[k], now[k]];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (a === undefined) out.push({ kind, text: kind === 'param' ? `now uses parameter ${k} = ${showValue(b)}` : `${noun} ${k} = ${showValue(b)} (was not set)` });
    else if (b === undefined) out.push({ kind, text: kind === 'param' ? `no longer uses parameter ${k} (was ${showValue(a)})` : `${noun} ${k} no longer set (was ${showValue(a)})` });
    else out.push({ kind, text: `${noun} ${k} ${showValue(a)} → ${showValue(b)}` });
  }
  return out;
}

function inputReasons(prev: InputComponent, now: InputComponent, show: (p: string) => string): MissReason[] {
  if (prev.kind === 'files' && now.kind === 'files') return inputFileReasons(prev, now, show);
  if (prev.kind === 'upstream' && now.kind === 'upstream') {
    const [a, b] = [prev.upstreams.map((u) => u.stage), now.upstreams.map((u) => u.stage)];
    if (a.join('\0') !== b.join('\0')) return [{ kind: 'upstream', text: `input from ${a.join(', ')} → ${b.join(', ')}` }];
    return now.upstreams.flatMap((u, i): MissReason[] => {
      const before = prev.upstreams[i]?.sha256 ?? null;
      if (u.sha256 === null) return [{ kind: 'upstream', text: `upstream ${u.stage} will run` }];
      if (u.sha256 === before) return [];
      return [{ kind: 'upstream', text: `upstream ${u.stage} changed (output sha ${before === null ? 'unknown' : short(before)} → ${short(u.sha256)})` }];
    });
  }
  return [{ kind: 'input', text: now.kind === 'upstream' ? `input now comes from ${now.upstreams.map((u) => u.stage).join(', ')} (was files)` : 'input now reads files (was from upstream stages)' }];
}

function inputFileReasons(prev: Extract<InputComponent, { kind: 'files' }>, now: Extract<InputComponent, { kind: 'files' }>, show: (p: string) => string): MissReason[] {
  if (prev.checksum !== now.checksum) {
    return [{ kind: 'input', text: `input.checksum ${prev.checksum} → ${now.checksum} (input files are fingerprinted differently)` }];
  }
  const before = new Map(prev.files.map((f) => [f.path, f]));
  const after = new Set(now.files.map((f) => f.path));
  const lines: string[] = [];
  for (const f of now.files) {
    const old = before.get(f.path);
    if (old === undefined) lines.push(`input ${show(f.path)} added`);
    else {
      const why = fileChange(old, f);
      if (why !== null) lines.push(`input ${show(f.path)} changed (${why})`);
    }
  }
  for (const f of prev.files) if (!after.has(f.path)) lines.push(`input ${show(f.path)} removed`);
  const common = (list: readonly InputFile[]) => list.map((f) => f.path).filter((p) => before.has(p) && after.has(p));
  if (lines.length === 0 && common(prev.files).join('\0') !== common(now.files).join('\0')) lines.push('input files are in another order');
  return capped(lines, (n) => `and ${n} more input files changed`).map((text) => ({ kind: 'input', text }));
}

/** What differs between two fingerprints of one file, or null when nothing does. */
function fileChange(a: InputFile, b: InputFile): string | null {
  if (a.size !== b.size) return `size ${a.size} → ${b.size} bytes`;
  if (a.sha256 !== b.sha256) return `content sha ${a.sha256 === undefined ? 'unknown' : short(a.sha256)} → ${b.sha256 === undefined ? 'unknown' : short(b.sha256)}`;
  if (a.etag !== b.etag) return `ETag ${a.etag ?? 'unknown'} → ${b.etag ?? 'unknown'}`;
  if (a.mtimeMs !== b.mtimeMs) return `modified ${showTime(a.mtimeMs)} → ${showTime(b.mtimeMs)}`;
  return null;
}

function capped(lines: string[], more: (n: number) => string): string[] {
  return lines.length <= LISTED + 1 ? lines : [...lines.slice(0, LISTED), more(lines.length - LISTED)];
}

function showPath(p: string, baseDir: string | undefined): string {
  if (baseDir === undefined || !isAbsolute(p)) return p;
  const rel = relative(baseDir, p);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function showTime(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : new Date(ms).toISOString();
}

function short(sha: string): string {
  return sha.slice(0, 8);
}
