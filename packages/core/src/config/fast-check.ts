/**
 * A job config checked by hand, without zod: what `JobConfigSchema.parse`
 * returns for a config it accepts (defaults filled, durations in ms, sizes in
 * bytes, keys in the schema's order), or null for anything else. Null is
 * never an error: the caller then parses with the zod schema, which explains
 * what is wrong with the messages users know (load.ts). So this may refuse
 * more than the schema (slurm, speculate and notification settings, unusual
 * values) but never accept what the schema refuses, nor return another
 * value: fast-check.test.ts compares both on valid and invalid configs.
 *
 * Why: zod's library, the schema's build and its first parse were ~65 ms of
 * a submit's CPU, most of what the CLI spends before the job is written
 * (issue 14). Keep it in step with schema.ts: a key added there and not here
 * makes every config using it take the zod path (slower, still right).
 */
import { UPSTREAM_SCHEME } from '../pipeline/types.js';
import type { JobConfig } from './schema.js';
import { parseDuration, parseSize } from './units.js';

type Obj = Record<string, unknown>;

/** Thrown inside the check: "not something this module vouches for"; never leaves it. */
class NotFast extends Error {}

const no = (): never => {
  throw new NotFast();
};

const DAY = 86_400_000;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const RETRYABLE = ['error', 'exit_code', 'timeout', 'signal', 'worker_lost', 'out_of_memory'];
const MODULE_REF = /^[^#\s][^#]*(#[A-Za-z_$][\w$]*)?$/;
const NAME = /^[a-z0-9_-]{1,64}$/;

/** The validated config, or null when the zod schema must decide (and explain). */
export function fastJobConfig(data: unknown): JobConfig | null {
  try {
    return jobConfig(data) as JobConfig;
  } catch (e) {
    if (e instanceof NotFast) return null;
    throw e;
  }
}

/** A plain object whose keys are all `allowed` and none holds undefined (a strict object as YAML writes it). */
function obj(v: unknown, allowed: readonly string[]): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) no();
  for (const k of Object.keys(v as Obj)) if (!allowed.includes(k) || (v as Obj)[k] === undefined) no();
  return v as Obj;
}

/** Sets `out[key]` only when the value is not undefined (as zod leaves an absent optional key out). */
function put(out: Obj, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : no());
const nonEmpty = (v: unknown): string => (str(v).length >= 1 ? (v as string) : no());
const bool = (v: unknown): boolean => (typeof v === 'boolean' ? v : no());
const num = (v: unknown, min: number, max: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : no());
const int = (v: unknown, min: number, max: number): number => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : no());
const oneOf = <T extends string>(v: unknown, values: readonly T[]): T => (values.includes(v as T) ? (v as T) : no());
const moduleRef = (v: unknown): string => (MODULE_REF.test(str(v)) ? (v as string) : no());

/** A prefault: the value, or `fallback` when the key is absent (null is the schema's to refuse, so never `??`). */
const given = (v: unknown, fallback: unknown): unknown => (v === undefined ? fallback : v);

/** `value ?? fallback` for an optional key with a default (an absent key only: null is the schema's to refuse). */
const or = <T>(v: unknown, fallback: T, check: (v: unknown) => T): T => (v === undefined ? fallback : check(v));

function duration(v: unknown, min: number, max: number): number {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) no();
  const ms = parseDuration(v as string | number);
  return ms !== null && ms >= min && ms <= max ? ms : no();
}

function size(v: unknown, min: number, max: number): number {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) no();
  const b = parseSize(v as string | number);
  return b !== null && b > 0 && b >= min && b <= max ? b : no();
}

/** A record of plain own keys (no `__proto__`, which zod and a plain object treat differently). */
function record<T>(v: unknown, value: (v: unknown) => T): Record<string, T> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) no();
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    if (k === '__proto__') no();
    out[k] = value(x);
  }
  return out;
}

function array<T>(v: unknown, item: (v: unknown) => T): T[] {
  return Array.isArray(v) ? v.map(item) : no();
}

const scalar = (v: unknown): string | number | boolean => (typeof v === 'string' || typeof v === 'boolean' ? v : num(v, -Infinity, Infinity));

function jobConfig(data: unknown): Obj {
  const d = obj(data, ['name', 'description', 'labels', 'parameters', 'input', 'handler', 'compute', 'retry', 'tolerated_failure', 'fail_fast', 'output', 'notification', 'priority', 'deadline']);
  if (d.notification !== undefined) no();
  const out: Obj = { name: NAME.test(str(d.name)) ? d.name : no() };
  put(out, 'description', d.description === undefined ? undefined : str(d.description));
  out.labels = or(d.labels, {}, (v) => record(v, str));
  out.parameters = or(d.parameters, {}, (v) => record(v, scalar));
  out.input = input(d.input);
  out.handler = handler(d.handler);
  out.compute = compute(given(d.compute, {}));
  out.retry = retry(given(d.retry, {}));
  out.tolerated_failure = toleratedFailure(given(d.tolerated_failure, 0));
  out.fail_fast = or(d.fail_fast, true, bool);
  out.output = output(given(d.output, {}));
  out.priority = or(d.priority, 'normal', (v) => (typeof v === 'string' ? oneOf(v, ['low', 'normal', 'high', 'urgent']) : int(v, -1000, 1000)));
  put(out, 'deadline', d.deadline === undefined ? undefined : duration(d.deadline, 1000, 365 * DAY));
  return out;
}

const FORMATS = ['jsonl', 'csv', 'text', 'parquet', 'binary', 'files'] as const;

function input(v: unknown): Obj {
  const i = obj(v, ['path', 'checksum', 'format', 'batch', 'csv', 'binary', 'compression', 'on_bad_record', 'materialize']);
  const path = Array.isArray(i.path) ? (i.path.length >= 1 ? array(i.path, nonEmpty) : no()) : nonEmpty(i.path);
  for (const p of Array.isArray(path) ? path : [path]) if (p.startsWith(UPSTREAM_SCHEME)) no();
  const out: Obj = { path };
  put(out, 'checksum', i.checksum === undefined ? undefined : bool(i.checksum));
  const format = or(i.format, 'jsonl', (x) => oneOf(x, FORMATS));
  out.format = format;
  const batch = out.batch = inputBatch(given(i.batch, { records: 1000 }));
  out.csv = or(i.csv, { delimiter: ',', header: true, quote: '"', multiline: true, relax_quotes: false }, csv);
  if (i.binary !== undefined) {
    const b = obj(i.binary, ['record_size']);
    out.binary = b.record_size === undefined ? {} : { record_size: size(b.record_size, 1, GiB) };
  }
  const compression = out.compression = or(i.compression, 'auto', (x) => oneOf(x, ['auto', 'none', 'gzip', 'zstd']));
  out.on_bad_record = or(i.on_bad_record, 'fail', (x) => oneOf(x, ['fail', 'skip', 'dead_letter']));
  const materialize = out.materialize = or(i.materialize, false, bool);
  // The schema's cross-field rules: any of them broken is the schema's to explain.
  if (batch.row_groups !== undefined && format !== 'parquet') no();
  if (batch.files !== undefined && format !== 'files') no();
  if ((compression === 'gzip' || compression === 'zstd') && (format === 'parquet' || format === 'files')) no();
  if (materialize && format === 'parquet') no();
  if (out.binary !== undefined && format !== 'binary') no();
  if (format === 'binary' && (out.binary as Obj | undefined)?.record_size === undefined && batch.bytes === undefined) no();
  return out;
}

function inputBatch(v: unknown): Obj {
  const b = obj(v, ['records', 'bytes', 'files', 'row_groups']);
  const out: Obj = {};
  put(out, 'records', b.records === undefined ? undefined : int(b.records, 1, Infinity));
  put(out, 'bytes', b.bytes === undefined ? undefined : size(b.bytes, 1, TiB));
  put(out, 'files', b.files === undefined ? undefined : int(b.files, 1, Infinity));
  put(out, 'row_groups', b.row_groups === undefined ? undefined : int(b.row_groups, 1, Infinity));
  return Object.keys(out).length === 1 ? out : no();
}

function csv(v: unknown): Obj {
  const c = obj(v, ['delimiter', 'header', 'quote', 'multiline', 'relax_quotes']);
  const char = (x: unknown): string => (str(x).length === 1 ? (x as string) : no());
  return {
    delimiter: or(c.delimiter, ',', char),
    header: or(c.header, true, bool),
    quote: or(c.quote, '"', char),
    multiline: or(c.multiline, true, bool),
    relax_quotes: or(c.relax_quotes, false, bool),
  };
}

function handler(v: unknown): Obj {
  const h = obj(v, ['module', 'command', 'files', 'io', 'env', 'rate_limit']);
  if ((h.module === undefined) === (h.command === undefined)) no();
  const out: Obj = {};
  put(out, 'module', h.module === undefined ? undefined : moduleRef(h.module));
  put(out, 'command', h.command === undefined ? undefined : nonEmpty(h.command));
  put(out, 'files', h.files === undefined ? undefined : array(h.files, nonEmpty));
  out.io = or(h.io, 'stdin', (x) => oneOf(x, ['stdin', 'file']));
  out.env = record(given(h.env, {}), (x) => String(scalar(x)));
  if (h.rate_limit !== undefined) {
    const r = obj(h.rate_limit, ['calls', 'per']);
    out.rate_limit = { calls: int(r.calls, 1, 1_000_000), per: duration(given(r.per, '1s'), 1, DAY) };
  }
  return out;
}

function compute(v: unknown): Obj {
  const c = obj(v, ['dispatcher', 'workers', 'concurrency', 'timeout', 'lease', 'memory', 'worker_orphan_timeout', 'resources', 'slurm', 'max_worker_deaths', 'speculate']);
  if (c.slurm !== undefined || c.speculate !== undefined) no();
  const out: Obj = {
    dispatcher: or(c.dispatcher, 'local', (x) => oneOf(x, ['local', 'slurm', 'external'])),
    workers: or(c.workers, 4, (x) => int(x, 1, 10_000)),
    concurrency: or(c.concurrency, 1, (x) => int(x, 1, 256)),
    timeout: duration(given(c.timeout, '10m'), 1000, 7 * DAY),
    lease: duration(given(c.lease, '30s'), 1000, DAY / 2),
  };
  put(out, 'memory', c.memory === undefined ? undefined : size(c.memory, 16 * MiB, TiB));
  put(out, 'worker_orphan_timeout', c.worker_orphan_timeout === undefined ? undefined : duration(c.worker_orphan_timeout, 1000, 7 * DAY));
  const r = obj(given(c.resources, {}), ['cpus', 'memory', 'gpus']);
  const resources: Obj = { cpus: or(r.cpus, 1, (x) => (num(x, 0, 4096) > 0 ? (x as number) : no())) };
  put(resources, 'memory', r.memory === undefined ? undefined : size(r.memory, MiB, 64 * TiB));
  resources.gpus = or(r.gpus, 0, (x) => int(x, 0, 64));
  out.resources = resources;
  const m = obj(given(c.max_worker_deaths, {}), ['count', 'per']);
  const deaths: Obj = {};
  put(deaths, 'count', m.count === undefined ? undefined : int(m.count, 1, 1_000_000));
  deaths.per = duration(given(m.per, '10s'), 1000, 7 * DAY);
  out.max_worker_deaths = deaths;
  return out;
}

function retry(v: unknown): Obj {
  const r = obj(v, ['max_attempts', 'backoff', 'retry_on', 'non_retryable_exit_codes']);
  const b = obj(given(r.backoff, {}), ['initial', 'max', 'multiplier', 'jitter']);
  return {
    max_attempts: or(r.max_attempts, 3, (x) => int(x, 1, 100)),
    backoff: {
      initial: duration(given(b.initial, '1s'), 0, DAY),
      max: duration(given(b.max, '1m'), 0, DAY),
      multiplier: or(b.multiplier, 2, (x) => num(x, 1, 10)),
      jitter: or(b.jitter, true, bool),
    },
    retry_on: or(r.retry_on, [...RETRYABLE], (x) => array(x, (k) => oneOf(k, RETRYABLE))),
    non_retryable_exit_codes: or(r.non_retryable_exit_codes, [], (x) => array(x, (n) => int(n, 1, 255))),
  };
}

function toleratedFailure(v: unknown): Obj {
  if (typeof v === 'number') return { count: int(v, 0, Infinity) };
  const s = str(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
  if (/^\d+$/.test(s)) return { count: Number(s) };
  return no();
}

function output(v: unknown): Obj {
  const o = obj(v, ['path', 'aggregate', 'reduce', 'reduce_command']);
  if (o.reduce !== undefined && o.reduce_command !== undefined) no();
  const out: Obj = {};
  put(out, 'path', o.path === undefined ? undefined : nonEmpty(o.path));
  out.aggregate = or(o.aggregate, 'concat', (x) => oneOf(x, ['concat', 'none']));
  put(out, 'reduce', o.reduce === undefined ? undefined : moduleRef(o.reduce));
  put(out, 'reduce_command', o.reduce_command === undefined ? undefined : nonEmpty(o.reduce_command));
  return out;
}
