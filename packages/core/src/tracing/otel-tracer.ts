/**
 * The OpenTelemetry side of tracing.ts, loaded only when tracing is on (a
 * dynamic import): the SDK's tracer provider, a batch span processor and the
 * OTLP/HTTP exporter (JSON), which reads OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_HEADERS etc. as the OpenTelemetry spec says.
 */
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, RandomIdGenerator, TracerProvider, type IdGenerator } from '@opentelemetry/sdk-trace';
import { formatTraceparent, jobSpanId, jobTraceId } from './trace-ids.js';
import type { JobTracer, SpanAttributes, SpanHandle } from './tracing.js';

/**
 * Random ids, except for a job's root span, whose ids are derived from the
 * job id (trace-ids.ts) so that spans made in other processes name it as
 * their parent: `forced` holds them for the one synchronous startSpan call.
 */
class JobIdGenerator implements IdGenerator {
  forced: { traceId: string; spanId: string } | null = null;
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.forced?.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.forced?.spanId ?? this.random.generateSpanId();
  }
}

export function createOtelTracer(service: string): JobTracer {
  const ids = new JobIdGenerator();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? service }),
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 1000 })],
  });
  const otel = provider.getTracer('djc');
  const handle = (span: Span): SpanHandle => {
    const sc = span.spanContext();
    return {
      traceparent: formatTraceparent(sc.traceId, sc.spanId),
      setAttributes: (attrs: SpanAttributes) => void span.setAttributes(attrs),
      end: (opts = {}) => {
        if (opts.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: opts.error });
        span.end(opts.endTime);
      },
    };
  };
  return {
    enabled: true,
    startSpan: (jobId, name, attrs = {}, opts = {}) => {
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: jobTraceId(jobId), spanId: jobSpanId(jobId), traceFlags: TraceFlags.SAMPLED, isRemote: true,
      });
      return handle(otel.startSpan(name, { attributes: { 'djc.job_id': jobId, ...attrs }, startTime: opts.startTime }, parent));
    },
    recordJobSpan: (jobId, attrs, startTime, endTime, error) => {
      ids.forced = { traceId: jobTraceId(jobId), spanId: jobSpanId(jobId) };
      let span: Span;
      try {
        span = otel.startSpan('job', { root: true, attributes: { 'djc.job_id': jobId, ...attrs }, startTime });
      } finally {
        ids.forced = null;
      }
      handle(span).end({ endTime, ...(error === undefined ? {} : { error }) });
    },
    shutdown: () => provider.shutdown(),
  };
}
