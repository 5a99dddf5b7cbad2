/**
 * What happens to the YAML data before validation: `--set` overrides, then
 * `${params.NAME}` and `${env.NAME}` substitution.
 *
 * In a shell command (a key named `command` or `reduce_command`), every
 * substituted value is quoted for the shell (util/shell-quote.ts): it is one
 * word, taken literally, so `--set params.x='$(touch PWNED)'` runs nothing.
 * `${raw.params.NAME}` (also `raw.env`, `raw.matrix`) inserts the value as
 * written, for authors who pass a shell fragment on purpose.
 */
import { parse as parseYaml } from 'yaml';
import { shellQuote } from '../util/shell-quote.js';
import { formatPath, type PathSeg } from './describe.js';

/** A problem found while overriding or substituting, at a YAML path. */
export interface EditProblem {
  path: PathSeg[];
  message: string;
  /** True when the problem comes from a --set flag, not from a line of the file. */
  fromFlag?: boolean;
}

/** A value set by a --set flag: it has no line in the file. */
export interface Override {
  path: PathSeg[];
  flag: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Applies each "path=value" to `data` (mutated in place). "params.x" is short
 * for "parameters.x". Returns what was set and the problems.
 */
export function applyOverrides(data: Obj, sets: readonly string[]): { overrides: Override[]; problems: EditProblem[] } {
  const overrides: Override[] = [];
  const problems: EditProblem[] = [];
  for (const flag of sets) {
    const eq = flag.indexOf('=');
    const path = eq > 0 ? parseSetPath(flag.slice(0, eq)) : null;
    if (!path) {
      problems.push({ path: [], fromFlag: true, message: `--set ${JSON.stringify(flag)} is not KEY=VALUE: write e.g. --set params.min_length=4 or --set compute.workers=8` });
      continue;
    }
    const problem = setAt(data, path, parseSetValue(flag.slice(eq + 1)));
    if (problem) problems.push({ path: problem.path, fromFlag: true, message: `--set ${flag}: ${problem.message}` });
    else overrides.push({ path, flag });
  }
  return { overrides, problems };
}

/** "compute.workers" → ["compute", "workers"]; "params.x" → ["parameters", "x"]; "notification.on[0]" → [..., 0]. */
export function parseSetPath(key: string): PathSeg[] | null {
  const segs: PathSeg[] = [];
  for (const part of key.trim().split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    segs.push(m[1] as string);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) segs.push(Number(idx[1]));
  }
  if (segs[0] === 'params') segs[0] = 'parameters';
  return segs;
}

/** A YAML scalar ("8" → 8, "true" → true), or a flow collection ("[a, b]"); anything else stays text. */
export function parseSetValue(raw: string): unknown {
  if (raw.trim() === '') return '';
  try {
    const v: unknown = parseYaml(raw);
    const flow = /^\s*[[{]/.test(raw);
    return v !== null && typeof v === 'object' && !flow ? raw : v;
  } catch {
    return raw;
  }
}

function setAt(data: Obj, path: PathSeg[], value: unknown): { path: PathSeg[]; message: string } | undefined {
  let node = data as Record<PathSeg, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as PathSeg;
    if (node[seg] === undefined || node[seg] === null) node[seg] = typeof path[i + 1] === 'number' ? [] : {};
    const next = node[seg];
    if (typeof next !== 'object' || next === null) {
      const at = path.slice(0, i + 1);
      return { path: at, message: `${formatPath(at)} is ${JSON.stringify(next)}, not a mapping` };
    }
    node = next as Record<PathSeg, unknown>;
  }
  node[path[path.length - 1] as PathSeg] = value;
  return undefined;
}

const TOKEN = /\$\$\{|\$\{\s*([A-Za-z_][\w-]*)\.([^}\s]*)\s*\}/g;
const WHOLE = /^\$\{\s*(params|matrix)\.([^}\s]+)\s*\}$/;

/** What `${ns.NAME}` tokens are replaced by. */
export interface SubstVars {
  params: Obj;
  env: Record<string, string | undefined>;
  /**
   * A pipeline stage's matrix point (`${matrix.x}`): the point's values, or
   * null for a stage without a matrix; undefined outside pipelines.
   */
  matrix?: Readonly<Record<string, unknown>> | null;
  /** Namespaces whose tokens are left as written, for a later step (pipelines: "stages"). */
  keep?: ReadonlySet<string>;
}

interface SubstContext extends SubstVars {
  problems: EditProblem[];
}

/**
 * Replaces `${params.NAME}` and `${env.NAME}` in every string outside
 * `parameters`. A string that is exactly one `${params.NAME}` takes the
 * parameter's type; `$${` is a literal `${`. Other `${VAR}` (no dot) are left
 * for the shell. Returns the new data and the problems.
 */
export function substitute(data: unknown, env: Record<string, string | undefined>): { data: unknown; problems: EditProblem[] } {
  if (!isObj(data)) return { data, problems: [] };
  const ctx: SubstContext = { params: isObj(data.parameters) ? data.parameters : {}, env, problems: [] };
  const out: Obj = {};
  for (const [key, value] of Object.entries(data)) {
    out[key] = key === 'parameters' ? value : walk(value, [key], ctx);
  }
  return { data: out, problems: ctx.problems };
}

/**
 * Substitutes every string in `value` (at YAML path `path`) with `vars`;
 * problems are pushed to `problems`. `${matrix.x}` as a whole string takes
 * the point value's type, like `${params.x}`.
 */
export function substituteValue(value: unknown, path: PathSeg[], vars: SubstVars, problems: EditProblem[]): unknown {
  const ctx: SubstContext = { ...vars, problems };
  return walk(value, path, ctx);
}

function walk(value: unknown, path: PathSeg[], ctx: SubstContext): unknown {
  if (typeof value === 'string') return substituteString(value, path, ctx);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], ctx));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], ctx)]));
  return value;
}

/** The namespace prefix that inserts a value unquoted into a shell command: `${raw.params.x}`. */
const RAW = 'raw';

/** Keys whose strings are run by a shell: substituted values there are quoted. */
const SHELL_KEYS: ReadonlySet<PathSeg> = new Set(['command', 'reduce_command']);

function isShellCommand(path: PathSeg[]): boolean {
  return SHELL_KEYS.has(path[path.length - 1] as PathSeg);
}

function substituteString(s: string, path: PathSeg[], ctx: SubstContext): unknown {
  if (!s.includes('${')) return s;
  const shell = isShellCommand(path);
  const whole = shell ? null : WHOLE.exec(s);
  if (whole) {
    const values = whole[1] === 'params' ? ctx.params : ctx.matrix;
    if (values && Object.hasOwn(values, whole[2] as string)) return values[whole[2] as string];
  }
  return s.replace(TOKEN, (token, ns: string | undefined, name: string | undefined) => {
    if (ns === undefined) return '${';
    const raw = ns === RAW;
    if (raw) [ns, name] = splitRaw(name ?? '');
    if (ctx.keep?.has(ns)) return token;
    const value = lookup(ns, name ?? '', token, path, ctx);
    if (value === undefined) return token;
    return shell && !raw ? shellQuote(String(value)) : String(value);
  });
}

/** "params.x" (the rest of `${raw.params.x}`) → ["params", "x"]. */
function splitRaw(rest: string): [string, string] {
  const dot = rest.indexOf('.');
  return dot < 0 ? [rest, ''] : [rest.slice(0, dot), rest.slice(dot + 1)];
}

function lookup(ns: string, name: string, token: string, path: PathSeg[], ctx: SubstContext): unknown {
  if (ns === 'params') {
    if (Object.hasOwn(ctx.params, name)) return ctx.params[name];
    const defined = Object.keys(ctx.params).join(', ') || 'none';
    ctx.problems.push({ path, message: `unknown parameter ${name} in ${token}; defined parameters: ${defined}` });
    return undefined;
  }
  if (ns === 'env') {
    const value = ctx.env[name];
    if (value === undefined) ctx.problems.push({ path, message: `environment variable ${name} is not set (used by ${token})` });
    return value;
  }
  if (ns === 'matrix' && ctx.matrix !== undefined) {
    if (ctx.matrix === null) {
      ctx.problems.push({ path, message: `${token} is used in a stage without a matrix: add matrix: to this stage, or use \${params.${name}}` });
      return undefined;
    }
    if (Object.hasOwn(ctx.matrix, name)) return ctx.matrix[name];
    const axes = Object.keys(ctx.matrix).join(', ') || 'none';
    ctx.problems.push({ path, message: `unknown matrix axis ${name} in ${token}; this stage's axes: ${axes}` });
    return undefined;
  }
  const known = ctx.matrix === undefined ? '\${params.NAME} or \${env.NAME}' : '\${params.NAME}, \${env.NAME}, \${matrix.NAME} or \${stages.NAME.output}';
  ctx.problems.push({ path, message: `unknown substitution ${token}: use ${known} (write $\${ for a literal "\${")` });
  return undefined;
}
