/**
 * `djc retry --set KEY=VALUE`: changes to the config a job was submitted
 * with, for its re-run. The stored config is already validated (durations in
 * ms, paths absolute), so each value is parsed by the schema of its own key
 * and put in place; the YAML file is not read again.
 *
 * Only settings that cannot change what an already-succeeded batch means may
 * change: how tasks run (compute, retry), when the job counts as failed
 * (tolerated_failure, fail_fast), how the result is gathered (output: it is
 * aggregated again after every retry), notification, labels, description
 * and deadline (it counts again from the retry).
 * input, handler, parameters and name are refused: the succeeded batches
 * keep the outputs they made with the old values, and a result that mixes
 * both would look whole.
 */
import { dirname } from 'node:path';
import type { z } from 'zod';
import { DjcError } from '../errors.js';
import type { ConfigChange } from '../model/job.js';
import { formatPath, type PathSeg } from './describe.js';
import { resolveConfigPaths } from './resolve-paths.js';
import type { JobConfig } from './schema.js';
import { parseSetPath, parseSetValue } from './substitute.js';

/** Top-level keys a retry may change. */
export const RETRY_SETTABLE: readonly string[] = ['compute', 'retry', 'tolerated_failure', 'fail_fast', 'output', 'notification', 'labels', 'description', 'deadline'];

const FROZEN: Readonly<Record<string, string>> = {
  input: 'the batches are already cut from the input',
  handler: 'the succeeded tasks ran the old handler',
  parameters: 'the succeeded tasks ran with the old parameters (and ${params.…} were substituted at submit)',
  name: 'the name belongs to the job',
};

/** The config with every `--set` applied, and what changed (in the order given). */
export interface RetrySettings {
  config: JobConfig;
  changes: ConfigChange[];
}

type Node = Record<PathSeg, unknown>;
type AnySchema = z.ZodType & { def: { type: string; [k: string]: unknown } };

/**
 * Applies `sets` ("compute.timeout=30m") to a job's stored config. Every
 * problem is a DjcError USAGE naming the flag, the key and the fix;
 * relative paths (output.path, output.reduce) are taken relative to the job
 * file's directory, as in the YAML.
 */
export async function applyRetrySettings(config: JobConfig, configPath: string, sets: readonly string[]): Promise<RetrySettings> {
  // Loaded here, not with this module: zod and the schema's build (~30 ms) stay off `djc run`'s start.
  const { JobConfigSchema, unitOfSchema } = await import('./schema.js');
  const root = JobConfigSchema as unknown as AnySchema;
  let next = structuredClone(config);
  const changes: ConfigChange[] = [];
  for (const flag of sets) {
    const eq = flag.indexOf('=');
    const path = eq > 0 ? parseSetPath(flag.slice(0, eq)) : null;
    if (!path || path.length === 0) throw usage(flag, 'is not KEY=VALUE: write e.g. --set compute.timeout=30m');
    const key = formatPath(path);
    const top = String(path[0]);
    if (FROZEN[top] !== undefined) {
      throw usage(flag, `${top}.* cannot change on retry: ${FROZEN[top]}, and a result that mixes old and new would look whole`, {
        hint: `run a new job with it: djc run ${configPath} --set ${flag}`,
      });
    }
    if (!RETRY_SETTABLE.includes(top)) throw usage(flag, `unknown key ${key}`, { hint: `a retry may change: ${RETRY_SETTABLE.join(', ')}` });
    const leaf = schemaAt(root, path);
    if (!leaf) throw usage(flag, `unknown key ${key}`, { hint: 'docs/configuration.md lists every key' });
    const raw = flag.slice(eq + 1);
    const value = parseSetValue(raw);
    // "null" unsets an optional key (or puts back its default).
    const parsed = leaf.safeParse(value === null ? undefined : value);
    if (!parsed.success) throw usage(flag, `${key}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
    const from = valueAt(next, path);
    next = setAt(root, next, path, parsed.data);
    const unit = unitOfSchema(unwrap(leaf));
    changes.push({ key, value: raw, from: from ?? null, to: parsed.data ?? null, ...(unit ? { unit } : {}) });
  }
  next = resolveConfigPaths(next, dirname(configPath));
  checkWhole(next);
  return { config: next, changes };
}

/** The checks the schema makes across keys of the sections a retry may change. */
function checkWhole(config: JobConfig): void {
  if (config.output.reduce !== undefined && config.output.reduce_command !== undefined) {
    throw new DjcError('USAGE', 'output.reduce and output.reduce_command are exclusive, and the job would have both', {
      hint: 'unset the other one too, e.g. --set output.reduce=null --set output.reduce_command="python3 merge.py"',
    });
  }
}

function usage(flag: string, message: string, fields: { hint?: string } = {}): DjcError {
  return new DjcError('USAGE', `--set ${flag}: ${message}`, fields);
}

/** The zod schema of the value at `path`, if the config has such a key. */
function schemaAt(root: AnySchema, path: readonly PathSeg[]): AnySchema | undefined {
  let node = root;
  for (const seg of path) {
    const inner = unwrap(node);
    const d = inner.def;
    let next: unknown;
    if (d.type === 'object' && typeof seg === 'string') next = (d.shape as Record<string, unknown>)[seg];
    else if (d.type === 'record' && typeof seg === 'string') next = d.valueType;
    else if (d.type === 'array' && typeof seg === 'number') next = d.element;
    if (next === undefined) return undefined;
    node = next as AnySchema;
  }
  return node;
}

/** Strips optional/default/prefault wrappers. */
function unwrap(s: AnySchema): AnySchema {
  let node = s;
  while (['optional', 'nullable', 'default', 'prefault', 'readonly'].includes(node.def.type)) node = node.def.innerType as AnySchema;
  return node;
}

function valueAt(config: JobConfig, path: readonly PathSeg[]): unknown {
  let node: unknown = config;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Node)[seg];
  }
  return node;
}

/**
 * A copy of `config` with `value` at `path` (removed when undefined).
 * A missing section on the way is created with its schema's defaults (so a
 * first compute.slurm key gets the other slurm defaults).
 */
function setAt(schema: AnySchema, config: JobConfig, path: readonly PathSeg[], value: unknown): JobConfig {
  const root = config as unknown as Node;
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as PathSeg;
    if (node[seg] === undefined || node[seg] === null) {
      const made = schemaAt(schema, path.slice(0, i + 1))?.safeParse({});
      node[seg] = made?.success && made.data !== undefined ? made.data : typeof path[i + 1] === 'number' ? [] : {};
    }
    node = node[seg] as Node;
  }
  const last = path[path.length - 1] as PathSeg;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return root as unknown as JobConfig;
}
