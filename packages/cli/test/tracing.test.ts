/**
 * OpenTelemetry traces through the CLI: `djc run` with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver the test
 * starts. One trace per job (its id derived from the job id), a prepare
 * span, one attempt span per attempt (task, attempt, worker, outcome), a
 * finalize span, the job's root span; command handlers get $TRACEPARENT and
 * module handlers ctx.traceparent, naming their attempt's span. Off (no
 * endpoint): no handler gets a trace context and no process loads the SDK.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobSpanId, jobTraceId, parseTraceparent } from '@djc/core';
import { djc, djcStart, readJsonl, sandboxPerTest, waitFor } from './helpers.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const box = sandboxPerTest('djc-trace-');
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
beforeEach(async () => { receiver = await startOtlpReceiver(); });
afterEach(async () => { await receiver.close(); });

interface Task { taskId: number; status: string; attempts: number; worker: string | null }
const tracedEnv = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
const run = (args: string[], env: Record<string, string> = {}) => djc(args, { cwd: box.dir, home: box.home, env });

/** Three one-record batches; task 1's first attempt fails (exit 3) and is retried. */
function commandJob(): string {
  writeFileSync(join(box.dir, 'in.jsonl'), '{"n":0}\n{"n":1}\n{"n":2}\n');
  const file = join(box.dir, 'traced.yaml');
  writeFileSync(file, `name: traced
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    read -r line; n=$(printf '%s' "$line" | tr -dc 0-9)
    if [ "$n" = 1 ] && [ "$DJC_ATTEMPT" = 1 ]; then exit 3; fi
    printf '{"n":%s,"tp":"%s"}\\n' "$n" "\${TRACEPARENT:-}"
compute: { workers: 2 }
retry: { max_attempts: 2, backoff: { initial: 100ms } }
output: { path: out.jsonl }
`);
  return file;
}

function moduleJob(): string {
  writeFileSync(join(box.dir, 'in.jsonl'), '{"n":0}\n{"n":1}\n');
  writeFileSync(join(box.dir, 'h.mjs'), 'export const handle = (records, ctx) => records.map((r) => ({ n: r.n, tp: ctx.traceparent ?? null }));\n');
  const file = join(box.dir, 'mod.yaml');
  writeFileSync(file, `name: mod
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 1 }
output: { path: out.jsonl }
`);
  return file;
}

/** Waits until the job's spans include its root span and `attempts` attempt spans (each process sends its own, at its exit). */
async function spansOf(jobId: string, attempts: number): Promise<ReceivedSpan[]> {
  return waitFor('the job\'s spans', async () => {
    const mine = receiver.spans.filter((s) => s.attributes['djc.job_id'] === jobId);
    const ok = mine.some((s) => s.name === 'job') && mine.filter((s) => s.name === 'attempt').length >= attempts;
    return ok ? mine : undefined;
  }, 30_000);
}

describe('tracing (OTLP/HTTP)', () => {
  it('a job is one trace: prepare, an attempt span per attempt with its task, attempt, worker and outcome, finalize; commands see TRACEPARENT', async () => {
    const res = await run(['run', commandJob(), '--json'], tracedEnv());
    expect(res.code, res.stderr).toBe(0);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    const spans = await spansOf(jobId, 4);
    const traceId = jobTraceId(jobId);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));

    const byName = (n: string) => spans.filter((s) => s.name === n);
    expect(byName('job')).toHaveLength(1);
    const [root] = byName('job');
    expect(root).toMatchObject({ spanId: jobSpanId(jobId), parentSpanId: '', service: 'djc', attributes: { 'djc.status': 'SUCCEEDED', 'djc.tasks': 3 } });
    expect(byName('prepare')).toHaveLength(1);
    expect(byName('prepare')[0]).toMatchObject({ parentSpanId: root?.spanId, attributes: { 'djc.tasks': 3 } });
    expect(byName('finalize')).toHaveLength(1);
    expect(byName('finalize')[0]).toMatchObject({ parentSpanId: root?.spanId, attributes: { 'djc.outcome': 'SUCCEEDED' } });

    const attempts = byName('attempt').sort((a, b) => Number(a.attributes['djc.task_id']) - Number(b.attributes['djc.task_id']) || Number(a.attributes['djc.attempt']) - Number(b.attributes['djc.attempt']));
    expect(attempts.map((s) => [s.attributes['djc.task_id'], s.attributes['djc.attempt'], s.attributes['djc.outcome']])).toEqual([
      [0, 1, 'succeeded'], [1, 1, 'retrying'], [1, 2, 'succeeded'], [2, 1, 'succeeded'],
    ]);
    expect(attempts.every((s) => s.parentSpanId === root?.spanId && s.service === 'djc-worker')).toBe(true);
    expect(attempts[1]).toMatchObject({ statusCode: 2, attributes: { 'djc.failure': 'exit_code' } }); // the failed attempt is an error span
    expect(attempts[0]?.attributes['djc.records']).toBe(1);

    // The worker attribute is the worker `djc tasks` names for the winning attempt.
    const { tasks } = JSON.parse((await run(['tasks', jobId, '--json'])).stdout) as { tasks: Task[] };
    for (const t of tasks) {
      const last = attempts.filter((s) => s.attributes['djc.task_id'] === t.taskId).at(-1);
      expect(last?.attributes['djc.worker']).toBe(t.worker);
    }
    // Spans nest in time: prepare and the attempts inside the job; finalize after the last attempt.
    expect(byName('prepare')[0]!.startMs).toBeGreaterThanOrEqual(root!.startMs);
    expect(byName('finalize')[0]!.startMs).toBeGreaterThanOrEqual(Math.max(...attempts.map((s) => s.endMs)) - 1);
    expect(root!.endMs).toBeGreaterThanOrEqual(byName('finalize')[0]!.endMs - 1);

    // Each command saw its own attempt's span as TRACEPARENT.
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number; tp: string }[];
    expect(out).toHaveLength(3);
    for (const row of out) {
      const tp = parseTraceparent(row.tp);
      expect(tp, row.tp).not.toBeNull();
      expect(tp!.traceId).toBe(traceId);
      const span = attempts.find((s) => s.spanId === tp!.spanId);
      expect(span?.attributes).toMatchObject({ 'djc.task_id': row.n, 'djc.outcome': 'succeeded' });
    }
  });

  it('under the daemon: the coordinator\'s spans and its workers\' land in the job\'s trace', async () => {
    const d = djcStart(['coordinator', '--cpus', '2'], { cwd: box.dir, home: box.home, env: tracedEnv() });
    try {
      const sub = await run(['submit', commandJob(), '--json'], tracedEnv());
      expect(sub.code, sub.stderr).toBe(0);
      const { jobId } = JSON.parse(sub.stdout) as { jobId: string };
      // The daemon sends its spans every second while it runs; the workers at their exit.
      const spans = await waitFor('the job\'s spans from the daemon', async () => {
        const mine = receiver.spans.filter((s) => s.attributes['djc.job_id'] === jobId);
        return ['job', 'prepare', 'finalize'].every((n) => mine.some((s) => s.name === n)) && mine.filter((s) => s.name === 'attempt').length === 4 ? mine : undefined;
      }, 60_000);
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([jobTraceId(jobId)]));
      expect(spans.filter((s) => s.name !== 'attempt').map((s) => s.service)).toEqual(['djc', 'djc', 'djc']);
      expect(spans.filter((s) => s.name === 'attempt').every((s) => s.service === 'djc-worker' && s.parentSpanId === jobSpanId(jobId))).toBe(true);
    } finally {
      d.child.kill('SIGTERM');
      const r = await d.done;
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a module handler gets the attempt\'s trace context as ctx.traceparent', async () => {
    const res = await run(['run', moduleJob(), '--json'], tracedEnv());
    expect(res.code, res.stderr).toBe(0);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    const spans = await spansOf(jobId, 2);
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number; tp: string }[];
    expect(out.map((r) => r.n).sort()).toEqual([0, 1]);
    for (const row of out) {
      const tp = parseTraceparent(row.tp);
      expect(tp?.traceId).toBe(jobTraceId(jobId));
      expect(spans.find((s) => s.spanId === tp?.spanId)).toMatchObject({ name: 'attempt', attributes: { 'djc.task_id': row.n } });
    }
  });

  it('off without an endpoint: no handler gets a trace context, and no process imports the OpenTelemetry SDK (nor, on, a command that coordinates nothing)', async () => {
    // A resolve hook in every djc process (NODE_OPTIONS reaches the workers too) logs what is imported.
    const hook = join(box.dir, 'log-imports.mjs');
    const log = join(box.dir, 'imports.log');
    writeFileSync(hook, `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ resolve(specifier, context, next) {
  const r = next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
} });
`);
    const env = { NODE_OPTIONS: `--import=${hook}` };
    const off = await run(['run', commandJob(), '--json'], env);
    expect(off.code, off.stderr).toBe(0);
    const out = readJsonl(join(box.dir, 'out.jsonl')) as { tp: string }[];
    expect(out.map((r) => r.tp)).toEqual(['', '', '']);
    const offImports = readFileSync(log, 'utf8');
    expect(offImports).toContain('/worker/dist/bundle/bin-main.js'); // the hook saw the worker (it runs from its bundle)
    expect(offImports).not.toContain('@opentelemetry');
    expect(receiver.requests()).toBe(0);

    // The same run traced loads it: the check above can fail.
    writeFileSync(log, '');
    const on = await run(['run', commandJob(), '--json'], { ...env, ...tracedEnv() });
    expect(on.code, on.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('@opentelemetry/sdk-trace');

    // A command that coordinates nothing does not load it, even with tracing on.
    writeFileSync(log, '');
    const { jobId } = JSON.parse(on.stdout) as { jobId: string };
    const status = await run(['status', jobId], { ...env, ...tracedEnv() });
    expect(status.code, status.stderr).toBe(0);
    const statusImports = readFileSync(log, 'utf8');
    expect(statusImports).toContain('/cli/dist/bundle/main.js'); // the hook saw the CLI
    expect(statusImports).not.toContain('@opentelemetry');
  });
});
