/**
 * A stage run's cache key: sha256 over the canonical JSON of its
 * components (cache-components.ts): the code it runs, its result-affecting
 * settings, the parameters it uses, its matrix point and its input's
 * fingerprint. Computed from the run as the pipeline spec holds it, before
 * hand-off: an upstream is in the key by the hash of its output, never by
 * its location (which names a job id and changes every run).
 */
import { resolve } from 'node:path';
import { expandInputPaths } from '../partition/expand-paths.js';
import { parseModuleRef } from '../util/import-module.js';
import type { CacheComponents, CodeComponent, FileHash } from './cache-components.js';
import { canonicalJson, sha256FileOrNull, sha256Hex } from './cache-hash.js';
import { moduleClosure } from './cache-imports.js';
import { inputFingerprint, type UpstreamResultOf } from './cache-input.js';
import { resultSettings, taskSettings } from './cache-settings.js';
import type { StageRunSpec } from './types.js';

export interface CacheComponentsResult {
  components: CacheComponents;
  /** What the key cannot see (a computed import specifier, a command without handler.files), for people. */
  warnings: string[];
}

/**
 * The components of `run`'s cache key. Reads the handler's files (and its
 * import closure), the reducer's, and stats (or, with input.checksum, reads)
 * the input files. `upstreamResult` gives the output hash of each upstream
 * stage, null when it is not known yet.
 */
export async function cacheComponents(run: StageRunSpec, upstreamResult: UpstreamResultOf): Promise<CacheComponentsResult> {
  const warnings: string[] = [];
  const { handler, output } = run.config;
  const code = handler.module !== undefined
    ? await moduleComponent(handler.module, warnings)
    : await commandComponent(handler.command ?? '', declaredFiles(run), warnings);
  const reducer = output.reduce === undefined ? null : await moduleComponent(output.reduce, warnings);
  const components: CacheComponents = {
    v: 1,
    handler: code,
    reducer,
    settings: resultSettings(run),
    params: { ...run.paramsUsed },
    point: run.point === null ? null : { ...run.point },
    input: await inputFingerprint(run, upstreamResult),
  };
  return { components, warnings };
}

/**
 * The key of a run with these components, or null when an upstream's
 * output is not known yet (the upstream must run first).
 */
export function cacheKey(c: CacheComponents): string | null {
  if (c.input.kind === 'upstream' && c.input.upstreams.some((u) => u.sha256 === null)) return null;
  return sha256Hex(canonicalJson(c));
}

/**
 * The key under which a run's TASK outputs are re-used batch by batch:
 * what one task's output depends on besides its records (the handler, the
 * input and handler settings, params, point), not the input files, the
 * batch size or how outputs are aggregated. With a batch's content sha256
 * it names one task output.
 */
export function taskKey(c: CacheComponents): string {
  return sha256Hex(canonicalJson({ v: c.v, handler: c.handler, settings: taskSettings(c.settings), params: c.params, point: c.point }));
}

/** sha256 of a matrix stage's output: its points' output hashes in point order (one point: that hash as is). */
export function combinedResult(pointResults: ReadonlyArray<string | null>): string | null {
  if (pointResults.some((r) => r === null)) return null;
  return pointResults.length === 1 ? (pointResults[0] as string) : sha256Hex(canonicalJson(pointResults));
}

async function moduleComponent(ref: string, warnings: string[]): Promise<CodeComponent> {
  const { file, exportName } = parseModuleRef(ref);
  const closure = await moduleClosure(resolve(file));
  warnings.push(...closure.warnings);
  return { kind: 'module', entry: resolve(file), export: exportName, files: closure.files, packages: closure.packages };
}

async function commandComponent(command: string, files: readonly string[], warnings: string[]): Promise<CodeComponent> {
  const scripts = scriptsIn(command);
  if (files.length === 0 && scripts.length > 0) {
    warnings.push(`the command runs ${scripts.join(', ')}, which is not in handler.files: only the command string is in the cache key, so an edit of it is not seen; list it in handler.files`);
  }
  const hashes: FileHash[] = [];
  for (const pattern of files) {
    for (const path of await expandDeclared(pattern)) hashes.push({ path, sha256: await sha256FileOrNull(path) });
  }
  return { kind: 'command', command, files: hashes };
}

/** Words of a command that look like scripts it runs (./x, a/b.sh, train.py): what handler.files should list. */
export function scriptsIn(command: string): string[] {
  const words = command.split(/\s+/).map((w) => w.replace(/^['"]|['"]$/g, ''));
  return words.filter((w) => !w.includes('${') && (/^\.{1,2}\//.test(w) || /^[\w./-]+\.(py|sh|bash|r|pl|rb|js|mjs|cjs|ts|mts|jl|lua|awk|sed|php)$/i.test(w)));
}

/** handler.files: the files a command handler declares as part of its key. */
export function declaredFiles(run: Pick<StageRunSpec, 'config'>): readonly string[] {
  return run.config.handler.files ?? [];
}

/** A declared file, or the files a glob matches (sorted); a glob that matches nothing stands for itself, missing. */
async function expandDeclared(pattern: string): Promise<string[]> {
  const abs = resolve(pattern);
  // Loaded at first use, as in expand-paths.ts: a run without declared files never loads tinyglobby.
  const { isDynamicPattern } = await import('tinyglobby');
  if (!isDynamicPattern(abs)) return [abs];
  return expandInputPaths([abs]).catch(() => [abs]);
}
