/**
 * The daemon's settings from the command line (`djc coordinator`): the
 * settings file (--config FILE) or the defaults, with --cpus/--memory/
 * --gpus/--preempt/--lock-ttl/--lock-renew over them. Apart from
 * scheduling-context.ts (what `djc run` needs): reading a settings file
 * loads zod, which `djc run` does not.
 */
import { DjcError, defaultDaemonSettings, lockIssue, parseDuration, parseSize, PRIORITY_CLASSES, type DaemonSettings } from '@djc/core';
import { loadDaemonSettings } from '@djc/core/schemas';
import { localPool, parseGpus } from '@djc/coordinator';

export interface CapacityFlags {
  config?: string;
  cpus?: string;
  memory?: string;
  gpus?: string;
  preempt?: string;
  lockTtl?: string;
  lockRenew?: string;
}

/** The settings file (or the defaults), with the flags applied over it. */
export async function daemonSettingsOf(o: CapacityFlags): Promise<DaemonSettings> {
  const s = o.config ? await loadDaemonSettings(o.config) : defaultDaemonSettings();
  const capacity = { ...s.capacity };
  if (o.cpus !== undefined) {
    const n = Number(o.cpus);
    if (!Number.isFinite(n) || n <= 0) throw usage('--cpus', o.cpus, 'a positive number of CPUs, e.g. --cpus 16');
    capacity.cpus = n;
  }
  if (o.memory !== undefined) {
    const b = parseSize(o.memory);
    if (b === null || b <= 0) throw usage('--memory', o.memory, 'a size, e.g. --memory 64GiB');
    capacity.memory = b;
  }
  if (o.gpus !== undefined) {
    // A count (--gpus 2: that many of the detected GPUs), ids (--gpus 0,1; one id: --gpus 3,), or none.
    capacity.gpus = o.gpus.trim() === '' || o.gpus.trim() === 'none' ? [] : parseGpus(o.gpus, '--gpus', localPool().gpuIds);
  }
  return { ...s, capacity, lock: lockOf(s.lock, o), ...(o.preempt === undefined ? {} : { preempt: preemptOf(o.preempt) }) };
}

/** The lock TTL and renewal interval: the settings file's `lock`, with --lock-ttl / --lock-renew over it. */
function lockOf(lock: DaemonSettings['lock'], o: CapacityFlags): DaemonSettings['lock'] {
  const duration = (flag: string, v: string) => {
    const ms = parseDuration(v);
    if (ms === null || ms <= 0) throw usage(flag, v, 'a duration, e.g. 15s or 500ms');
    return ms;
  };
  const out = { ttl: o.lockTtl === undefined ? lock.ttl : duration('--lock-ttl', o.lockTtl), renew: o.lockRenew === undefined ? lock.renew : duration('--lock-renew', o.lockRenew) };
  const issue = lockIssue(out);
  if (issue) throw new DjcError('USAGE', `--lock-ttl ${out.ttl / 1000}s --lock-renew ${out.renew / 1000}s: ${issue}`, { hint: 'e.g. djc coordinator --lock-ttl 15s --lock-renew 3s (docs/operations.md "Failover")' });
  return out;
}

function preemptOf(v: string): number | null {
  if (v === 'off') return null;
  if (v in PRIORITY_CLASSES) return PRIORITY_CLASSES[v as keyof typeof PRIORITY_CLASSES];
  if (/^-?\d+$/.test(v)) return Number(v);
  throw usage('--preempt', v, 'off, low, normal, high, urgent or an integer priority');
}

function usage(flag: string, value: string, expected: string): DjcError {
  return new DjcError('USAGE', `${flag}: expected ${expected}, found ${JSON.stringify(value)}`, { hint: 'see djc coordinator --help and docs/scheduling.md' });
}
