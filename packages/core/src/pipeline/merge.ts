/**
 * The deep merge of `extends:` and `defaults:`: mappings merge key by key,
 * everything else (lists included) is replaced by the overriding value, and
 * a key set to null in the overriding file removes what the base set.
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` merged onto `base`; neither is mutated. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isObj(base) || !isObj(over)) return over;
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else out[key] = deepMerge(base[key], value);
  }
  return out;
}
