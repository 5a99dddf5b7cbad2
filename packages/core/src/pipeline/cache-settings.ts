/**
 * The settings of a stage run that can change its result, flattened to
 * dotted YAML paths so a miss names the one that changed
 * ("input.batch.records 5000 → 10000"). Left out on purpose: where and how
 * fast it runs (compute.*: workers, concurrency, dispatcher, slurm, timeout,
 * lease, memory), retry, notification, input.materialize (a copy, not other
 * data), output.path (where the result is also written), fail_fast and
 * tolerated_failure (whether a run succeeds, not what it computes).
 */
import type { StageRunSpec } from './types.js';

/** A leaf value of a setting (arrays are compared whole). */
export type SettingValue = string | number | boolean | null | unknown[];

/** Result-affecting settings of `run`, by dotted path, leaves only, in path order. */
export function resultSettings(run: Pick<StageRunSpec, 'config' | 'upstream'>): Record<string, SettingValue> {
  const { input, handler, output } = run.config;
  const picked: Record<string, unknown> = {
    input: {
      // An upstream-fed run's format, when it does not set one, follows the upstream's output kind (fixed by the upstream's code, in its output hash).
      format: run.upstream === null ? input.format : (run.upstream.format ?? 'from upstream'),
      batch: input.batch,
      ...(input.format === 'csv' ? { csv: input.csv } : {}),
      ...(input.format === 'binary' ? { binary: input.binary } : {}),
      compression: input.compression,
      on_bad_record: input.on_bad_record,
      ...(run.upstream === null ? {} : { each: run.upstream.each ?? 'output' }),
    },
    handler: handler.command === undefined ? {} : { io: handler.io, env: handler.env },
    output: {
      aggregate: output.aggregate,
      ...(output.reduce_command === undefined ? {} : { reduce_command: output.reduce_command }),
    },
  };
  const flat: Record<string, SettingValue> = {};
  flatten(picked, '', flat);
  return Object.fromEntries(Object.entries(flat).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The settings a single task's output depends on (per-batch re-use): those of input and handler, not of output or batch size. */
export function taskSettings(settings: Readonly<Record<string, SettingValue>>): Record<string, SettingValue> {
  return Object.fromEntries(Object.entries(settings).filter(([k]) => !k.startsWith('output.') && !k.startsWith('input.batch.')));
}

function flatten(value: unknown, prefix: string, out: Record<string, SettingValue>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
    return;
  }
  if (value !== undefined) out[prefix] = value as SettingValue;
}
