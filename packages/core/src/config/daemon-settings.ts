/**
 * The daemon's settings file (`djc coordinator --config FILE`, YAML): its
 * capacity, the worker limits of the Slurm and external pools, max_jobs,
 * per-owner quotas, fair share, aging and preemption. Validated with zod;
 * an error names the file and the key. Flags override the file.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DjcError } from '../errors.js';
import { parseDuration, parseSize } from './units.js';
import { PRIORITY_CLASSES } from './priority-classes.js';
import { lockIssue } from './daemon-defaults.js';

const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "10m" or "1h", found ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

const bytes = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const b = parseSize(v);
  if (b === null || b <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as "64GiB", found ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return b;
});

/** GPUs: a count, or the ids to use ("0,1" or [0, 1]). */
const gpuIds = z.union([z.number().int().min(0), z.string(), z.array(z.number().int().min(0))]).transform((v, ctx) => {
  if (Array.isArray(v)) return v;
  if (typeof v === 'number') return Array.from({ length: v }, (_, i) => i);
  const ids = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (ids.some((n) => !Number.isInteger(n) || n < 0)) {
    ctx.addIssue({ code: 'custom', message: `expected GPU ids such as "0,1", found ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ids;
});

const poolLimit = z.strictObject({ max_workers: z.number().int().min(1).optional() });

const preempt = z.union([z.literal('off'), z.enum(['low', 'normal', 'high', 'urgent']), z.number().int()]).transform((v) => {
  if (v === 'off') return null;
  return typeof v === 'number' ? v : PRIORITY_CLASSES[v];
});

export const DaemonSettingsSchema = z.strictObject({
  capacity: z.strictObject({
    cpus: z.number().positive().optional(),
    memory: bytes.optional(),
    gpus: gpuIds.optional(),
  }).default({}),
  pools: z.strictObject({ slurm: poolLimit.optional(), external: poolLimit.optional() }).default({}),
  max_jobs: z.number().int().min(1).nullable().default(null),
  quotas: z.record(z.string(), z.strictObject({ max_jobs: z.number().int().min(1).optional(), cpus: z.number().positive().optional() })).default({}),
  fair_share: z.strictObject({
    half_life: durationMs.default(60 * 60_000),
    owner_label: z.string().min(1).nullable().default(null),
  }).default({ half_life: 60 * 60_000, owner_label: null }),
  aging: durationMs.default(30 * 60_000),
  // Idle local workers kept started (modules loaded, backend open) for the next job's first task (docs/scheduling.md).
  warm_workers: z.number().int().min(0).max(64).default(1),
  preempt: preempt.default(null),
  // Failover (docs/operations.md "Failover"): a standby takes over when the leader's lock is `ttl` old.
  lock: z.strictObject({
    ttl: durationMs.default(15_000),
    renew: durationMs.default(3_000),
  }).default({ ttl: 15_000, renew: 3_000 }),
}).superRefine((s, ctx) => {
  const issue = lockIssue(s.lock);
  if (issue) ctx.addIssue({ code: 'custom', path: ['lock', 'renew'], message: issue });
});

export type DaemonSettings = z.output<typeof DaemonSettingsSchema>;

/** Reads and validates a settings file; errors (exit 2) name the file and the key. */
export async function loadDaemonSettings(file: string): Promise<DaemonSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DjcError('USAGE', `cannot read the daemon settings ${file}: ${(e as Error).message}`, { hint: 'djc coordinator --config FILE names a YAML file' });
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (e) {
    throw new DjcError('CONFIG_INVALID', `${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`, { hint: 'see docs/scheduling.md "The daemon\'s settings"' });
  }
  const r = DaemonSettingsSchema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.join('.') ?? '';
  const unknown = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const where = unknown === undefined ? at || '(top level)' : [at, unknown].filter(Boolean).join('.');
  const message = unknown === undefined ? issue?.message ?? 'invalid' : 'not a setting';
  throw new DjcError('CONFIG_INVALID', `${file}: ${where}: ${message}`, {
    hint: 'keys: capacity {cpus, memory, gpus}, pools {slurm, external: {max_workers}}, max_jobs, quotas, fair_share {half_life, owner_label}, aging, preempt, lock {ttl, renew}, warm_workers (see docs/scheduling.md, docs/operations.md)',
  });
}
