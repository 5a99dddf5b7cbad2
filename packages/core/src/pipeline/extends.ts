/**
 * `extends:` — a job file, a pipeline file, or one stage builds on another
 * file: deep merge (merge.ts), the extending file wins. Paths written in an
 * extended file are relative to THAT file, so they are made absolute as it
 * is read. Chains are followed; a cycle is refused. Every file read is
 * recorded with its sha256: the merged result is the snapshot, the files
 * are never read again.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { PathSeg } from '../config/describe.js';
import { readYamlSource, type YamlSource } from '../config/yaml-source.js';
import { isObj, deepMerge, type Obj } from './merge.js';
import type { SourceFile } from './types.js';

/** A file of a chain, with its data (paths made absolute, `extends` removed). */
export interface ChainFile {
  file: string;
  source: YamlSource;
}

/** A problem found while following `extends`, in the file that names the missing or cyclic file. */
export interface ExtendsProblem {
  file: string;
  source: YamlSource | null;
  path: PathSeg[];
  message: string;
}

export interface Extended {
  /** The merged data: this file's over everything it extends. */
  data: Obj;
  /** The file's bases, nearest first (not the file itself). */
  bases: ChainFile[];
  problems: ExtendsProblem[];
}

/** 'file': a whole job or pipeline file; 'stage': the keys of one stage. */
export type ExtendsKind = 'file' | 'stage';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Records each file read once (path + sha256), in the order read. */
export class SourceLog {
  readonly files: SourceFile[] = [];
  add(file: string, source: YamlSource): void {
    this.addFile({ path: file, sha256: source.sha256 });
  }

  addFile(file: SourceFile): void {
    if (!this.files.some((f) => f.path === file.path)) this.files.push(file);
  }
}

/**
 * Follows `data.extends` (relative to `dir`) down the chain and merges.
 * `where` is the YAML path of `data` in `file` (for messages); `seen` the
 * files already in this chain (cycle detection).
 */
export async function resolveExtends(
  data: Obj, at: { file: string; source: YamlSource | null; where: PathSeg[] }, kind: ExtendsKind, log: SourceLog, seen: string[] = [at.file],
): Promise<Extended> {
  const ref = data.extends;
  const own = { ...data };
  delete own.extends;
  if (ref === undefined) return { data: own, bases: [], problems: [] };
  const problem = (message: string): Extended => ({ data: own, bases: [], problems: [{ file: at.file, source: at.source, path: [...at.where, 'extends'], message }] });
  if (typeof ref !== 'string' || ref === '') return problem(`expected the path of a YAML file to extend, found ${JSON.stringify(ref)}`);
  if (URL_LIKE.test(ref)) return problem(`extends names a local file, found the URL ${ref}`);
  const target = resolve(dirname(at.file), ref);
  if (seen.includes(target)) {
    const names = [...seen, target].map((f) => relative(dirname(seen[0] as string), f) || f);
    return problem(`extends makes a cycle: ${names.join(' → ')}`);
  }
  const read = await readYamlSource(target);
  if (!read.ok) return problem(`cannot extend ${ref}: ${read.problems.map((p) => (p.position ? `line ${p.position.line}: ` : '') + p.message).join('; ')}`);
  if (!isObj(read.source.data)) return problem(`cannot extend ${ref}: it holds ${read.source.data === null ? 'nothing' : 'no mapping of keys'}`);
  log.add(target, read.source);
  const baseData = absolutize(structuredClone(read.source.data), dirname(target), kind);
  const base = await resolveExtends(baseData, { file: target, source: read.source, where: [] }, kind, log, [...seen, target]);
  return {
    data: deepMerge(base.data, own) as Obj,
    bases: [{ file: target, source: read.source }, ...base.bases],
    problems: base.problems,
  };
}

/** Relative paths of an extended file made absolute against its directory (values starting with "${" are left for substitution). */
function absolutize(data: Obj, dir: string, kind: ExtendsKind): Obj {
  absolutizeStage(data, dir);
  if (kind === 'file') {
    if (isObj(data.defaults)) absolutizeStage(data.defaults, dir);
    if (isObj(data.stages)) for (const stage of Object.values(data.stages)) if (isObj(stage)) absolutizeStage(stage, dir);
  }
  return data;
}

function absolutizeStage(s: Obj, dir: string): void {
  const fix = (v: unknown): unknown => (typeof v === 'string' && v !== '' && !v.startsWith('${') && !URL_LIKE.test(v) && !isAbsolute(v) ? resolve(dir, v) : v);
  const fixList = (v: unknown): unknown => (Array.isArray(v) ? v.map(fix) : fix(v));
  if (typeof s.extends === 'string') s.extends = fix(s.extends);
  if (isObj(s.input) && s.input.path !== undefined) s.input.path = fixList(s.input.path);
  if (isObj(s.handler)) {
    if (s.handler.module !== undefined) s.handler.module = fix(s.handler.module);
    if (s.handler.files !== undefined) s.handler.files = fixList(s.handler.files);
  }
  if (isObj(s.output)) {
    if (s.output.path !== undefined) s.output.path = fix(s.output.path);
    if (s.output.reduce !== undefined) s.output.reduce = fix(s.output.reduce);
  }
  if (isObj(s.matrix) && s.matrix.rows !== undefined) s.matrix.rows = fix(s.matrix.rows);
}
