import type { Logger } from 'pino';

/** pino's level numbers: a call below the logger's level does nothing. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const noop = () => {};

/**
 * A Logger that makes the real one (`make`) only when something is logged at
 * or above `level`, or a property other than a level method, `child`,
 * `level` or `isLevelEnabled` is read. Calls below the level are no-ops, as
 * pino's own are; a child is lazy too, made from the real parent when it
 * first logs. Everything else is the real logger's, bound to it.
 */
export function lazyLogger(level: string, make: () => Logger): Logger {
  let real: Logger | undefined;
  const materialize = () => (real ??= make());
  const threshold = LEVELS[level] ?? LEVELS.info!;
  const lazy: Record<string | symbol, unknown> = {
    level,
    isLevelEnabled: (l: string) => (LEVELS[l] ?? Infinity) >= threshold && threshold !== Infinity,
    child: (bindings: Record<string, unknown>, options?: { level?: string }) =>
      lazyLogger(options?.level ?? level, () => materialize().child(bindings, options)),
  };
  return new Proxy({} as Logger, {
    get(_target, key) {
      if (real === undefined) {
        if (typeof key === 'string' && key !== 'silent' && LEVELS[key] !== undefined && LEVELS[key]! < threshold) return noop;
        if (Object.hasOwn(lazy, key)) return lazy[key];
      }
      const r = materialize();
      const v = Reflect.get(r, key, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    set(_target, key, value) {
      return Reflect.set(materialize(), key, value);
    },
    has(_target, key) {
      return key in materialize();
    },
  });
}
