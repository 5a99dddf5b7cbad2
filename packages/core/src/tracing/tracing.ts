/**
 * Tracing of jobs (OpenTelemetry): a trace per job, with spans for prepare,
 * each attempt and finalize, under a root span for the job (trace-ids.ts).
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * is set: then `tracer()` is a no-op and the OpenTelemetry SDK is never
 * imported (it is loaded with a dynamic import by `initTracing`, only when
 * on). Workers call `initTracing` at start; the coordinator's spans load it
 * at their first use (withJobSpan, notifyJobEnd), so a command that
 * coordinates nothing never loads it. Entry points call `shutdownTracing`
 * before they exit, which sends the spans still queued.
 */

/** Span attribute values djc sets. */
export type SpanAttributes = Record<string, string | number | boolean>;

/** One open span. */
export interface SpanHandle {
  /** The W3C `traceparent` of this span ('' when tracing is off): what a handler gets. */
  readonly traceparent: string;
  setAttributes(attrs: SpanAttributes): void;
  /** Ends the span; `error`: it failed with this message. */
  end(opts?: { error?: string; endTime?: number }): void;
}

export interface JobTracer {
  readonly enabled: boolean;
  /** Starts a span in the job's trace, a child of the job's root span. */
  startSpan(jobId: string, name: string, attrs?: SpanAttributes, opts?: { startTime?: number }): SpanHandle;
  /** Emits the job's root span (its id is derived from the job id), from `startTime` to `endTime` (epoch ms). */
  recordJobSpan(jobId: string, attrs: SpanAttributes, startTime: number, endTime: number, error?: string): void;
  /** Sends every ended span, then stops the exporter. */
  shutdown(): Promise<void>;
}

const NOOP_SPAN: SpanHandle = { traceparent: '', setAttributes: () => {}, end: () => {} };

const NOOP: JobTracer = {
  enabled: false,
  startSpan: () => NOOP_SPAN,
  recordJobSpan: () => {},
  shutdown: async () => {},
};

let current: JobTracer = NOOP;
let loading: Promise<JobTracer> | null = null;

/** Whether the environment turns tracing on (an OTLP endpoint is set, and OTEL_SDK_DISABLED is not "true"). */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Turns tracing on for this process when the environment asks for it
 * (idempotent; concurrent calls share one load). `service`: the
 * OpenTelemetry service.name ("djc", "djc-worker") of the first call.
 */
export function initTracing(service: string): Promise<JobTracer> {
  if (current.enabled || !tracingEnabled()) return Promise.resolve(current);
  loading ??= import('./otel-tracer.js').then(({ createOtelTracer }) => {
    current = createOtelTracer(service);
    return current;
  }).finally(() => { loading = null; });
  return loading;
}

/** The process's tracer: a no-op unless `initTracing` turned tracing on. */
export function tracer(): JobTracer {
  return current;
}

/**
 * Waited for at most this long at exit: an unreachable collector makes the
 * exporter retry with backoff for ~8 s (measured), which must not hold up
 * every worker's and every command's exit. Spans not sent by then are lost.
 */
export const TRACING_SHUTDOWN_MS = 2000;

/** Sends the spans still queued (entry points call it before exiting), for at most TRACING_SHUTDOWN_MS; a no-op when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const t = current;
  current = NOOP;
  if (!t.enabled) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, TRACING_SHUTDOWN_MS); });
  try {
    await Promise.race([t.shutdown(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `fn` inside a span of the job's trace; the span ends when it settles
 * (with the error's message if it throws), with `attrsOf(result)` added.
 */
export async function withJobSpan<T>(
  jobId: string, name: string, attrs: SpanAttributes, fn: () => Promise<T>, attrsOf?: (result: T) => SpanAttributes,
): Promise<T> {
  // Loaded at the first span, so that commands that coordinate nothing (djc status, list, …) never load the SDK.
  const span = (await initTracing('djc')).startSpan(jobId, name, attrs);
  try {
    const result = await fn();
    if (attrsOf) span.setAttributes(attrsOf(result));
    span.end();
    return result;
  } catch (e) {
    span.end({ error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}
