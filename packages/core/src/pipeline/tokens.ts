/**
 * The `${ns.name}` tokens a stage's config uses, found without substituting:
 * which parameters it reads (its cache key holds only those) and which
 * upstream locations (`${stages.X.output}`, filled in by the runner).
 */
import type { PathSeg } from '../config/describe.js';
import { isObj } from './merge.js';

export interface TokenUse {
  path: PathSeg[];
  token: string;
  ns: string;
  name: string;
}

const TOKEN = /\$\$\{|\$\{\s*([A-Za-z_][\w-]*)\.([^}\s]*)\s*\}/g;

/** Every `${ns.name}` in the strings of `value` (not `$${`, a literal). */
export function findTokens(value: unknown, path: PathSeg[] = []): TokenUse[] {
  const out: TokenUse[] = [];
  const walk = (v: unknown, p: PathSeg[]): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(TOKEN)) {
        if (m[1] !== undefined) out.push({ path: p, token: m[0], ns: m[1], name: m[2] ?? '' });
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, path);
  return out;
}

const STAGE_OUTPUT = /\$\{\s*stages\.([a-z0-9_-]+)\.output\s*\}/g;

/**
 * The config with every `${stages.X.output}` replaced by `location(X)`: what
 * the runner does when a stage run becomes ready (its upstreams' results
 * exist). Other strings are returned unchanged.
 */
export function fillStageOutputs<T>(value: T, location: (stage: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes('${') ? v.replace(STAGE_OUTPUT, (_t, stage: string) => location(stage)) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
