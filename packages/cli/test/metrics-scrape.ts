/**
 * Scraping `createMetrics().render()` as Prometheus does: served by a
 * node:http server on 127.0.0.1 (a free port) at /metrics, fetched over
 * HTTP, parsed with a real Prometheus text-format parser
 * (parse-prometheus-text-format, a port of the Python client's parser).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error: the package ships no types; its output is typed below.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

interface Sample { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }
interface Family { name: string; help: string; type: string; metrics: Sample[] }

export interface Scrape {
  contentType: string;
  families: Map<string, Family>;
  /** The value of the sample of `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram sample's count, sum and buckets. */
  histogram(name: string, labels?: Record<string, string>): { count: number; sum: number; buckets: Record<string, number> } | undefined;
  /** Every sample of `name`. */
  samples(name: string): Sample[];
}

const matches = (s: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v);

export function parseScrape(text: string, contentType: string): Scrape {
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  const find = (name: string, labels: Record<string, string>) => families.get(name)?.metrics.find((s) => matches(s, labels));
  return {
    contentType,
    families,
    value: (name, labels = {}) => {
      const s = find(name, labels);
      return s?.value === undefined ? undefined : Number(s.value);
    },
    histogram: (name, labels = {}) => {
      const s = find(name, labels);
      if (!s?.buckets) return undefined;
      return { count: Number(s.count), sum: Number(s.sum), buckets: Object.fromEntries(Object.entries(s.buckets).map(([k, v]) => [k, Number(v)])) };
    },
    samples: (name) => families.get(name)?.metrics ?? [],
  };
}

/** Serves `render` at http://127.0.0.1:PORT/metrics until `close()`. */
export async function serveMetrics(metrics: { contentType: string; render(): Promise<string> }): Promise<{ url: string; scrape(): Promise<Scrape>; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return {
    url,
    scrape: async () => {
      const res = await fetch(url, { headers: { accept: 'text/plain' } });
      if (res.status !== 200) throw new Error(`scrape: HTTP ${res.status}: ${await res.text()}`);
      return parseScrape(await res.text(), res.headers.get('content-type') ?? '');
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
