/**
 * Reading a job or pipeline file with what it extends: the merged data, the
 * layers that locate an issue in the file that set the value, and the log
 * of every file read (the snapshot's sources).
 */
import { dirname } from 'node:path';
import { formatPath } from '../config/describe.js';
import type { ConfigIssue } from '../config/issues.js';
import { readYamlSource, type YamlSource } from '../config/yaml-source.js';
import { resolveExtends, SourceLog, type ExtendsProblem } from './extends.js';
import type { Layer } from './locate.js';
import { isObj } from './merge.js';

export interface ReadFile {
  /** Absolute path of the file. */
  configPath: string;
  baseDir: string;
  source: YamlSource;
  /** The file's data merged over what it extends (null for an empty file). */
  data: unknown;
  /** The file, then what it extends, nearest first (merged paths = file paths). */
  layers: Layer[];
  log: SourceLog;
  /** Problems with `extends` (located), to report with the rest. */
  issues: ConfigIssue[];
}

export type ReadFileResult = { ok: true; file: ReadFile } | { ok: false; issues: ConfigIssue[] };

/** `baseDir`: where relative paths resolve (default: the file's directory), for a file received over the API. */
export async function readWorkflowSource(configPath: string, baseDir?: string): Promise<ReadFileResult> {
  const read = await readYamlSource(configPath);
  if (!read.ok) {
    return { ok: false, issues: read.problems.map((p) => ({ file: configPath, path: '', ...(p.position ?? {}), message: p.message })) };
  }
  const { source } = read;
  const log = new SourceLog();
  log.add(configPath, source);
  const layers: Layer[] = [{ file: configPath, source, from: [], to: [] }];
  const base = { configPath, baseDir: baseDir ?? dirname(configPath), source, layers, log };
  if (!isObj(source.data)) return { ok: true, file: { ...base, data: source.data, issues: [] } };
  const ext = await resolveExtends(source.data, { file: configPath, source, where: [] }, 'file', log);
  for (const b of ext.bases) layers.push({ file: b.file, source: b.source, from: [], to: [] });
  return { ok: true, file: { ...base, data: ext.data, issues: ext.problems.map(extendsIssue) } };
}

/** An extends problem as an issue in the file that names the bad file. */
export function extendsIssue(p: ExtendsProblem): ConfigIssue {
  const pos = p.source?.locate(p.path, 'value');
  return { file: p.file, path: formatPath(p.path), ...(pos ?? {}), message: p.message };
}
