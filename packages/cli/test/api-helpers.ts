/**
 * Talking HTTP to a `djc coordinator` started by a test: over its unix
 * socket (the path it prints), JSON in and out, and Server-Sent Events
 * read until a condition holds.
 */
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { djcStart, waitFor } from './helpers.js';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export interface ApiRequest {
  body?: string | object;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request over the unix socket. */
export function api(socketPath: string, method: string, path: string, o: ApiRequest = {}): Promise<ApiAnswer> {
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const contentType = o.contentType ?? (typeof o.body === 'string' ? 'application/yaml' : 'application/json');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { ...(body === undefined ? {} : { 'content-type': contentType }), ...o.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads `path` as an event stream until `done(events)` or the stream ends; the events read. */
export function readEvents(socketPath: string, path: string, done: (events: SseEvent[]) => boolean): Promise<{ status: number; type: string; events: SseEvent[] }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = request({ socketPath, method: 'GET', path }, (res) => {
      let buf = '';
      const finish = () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), events });
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
        if (done(events)) {
          req.destroy();
          finish();
        }
      });
      res.on('end', finish);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `djc coordinator` in the background, once its API answers; `socket`: the path it printed. */
/**
 * GET /v1/jobs/{id} once it equals `expected()` (the CLI's `djc status
 * --json`): a job that just ended still has its workers' final view
 * recorded by its coordinator, so two reads right after the end can differ.
 */
export async function jobDocSettledAs(socketPath: string, jobId: string, expected: () => Promise<unknown>): Promise<ApiAnswer> {
  return waitFor(`GET /v1/jobs/${jobId} equal to djc status --json`, async () => {
    const r = await api(socketPath, 'GET', `/v1/jobs/${jobId}`);
    expect(r.status, r.text).toBe(200);
    return isDeepStrictEqual(r.json, await expected()) ? r : undefined;
  });
}

export async function startCoordinator(opts: { cwd: string; home: string; env?: Record<string, string> }, args: string[] = []) {
  const daemon = djcStart(['coordinator', ...args], opts);
  const socket = await waitFor('the API socket', async () => /API at unix:(\S+)/.exec(daemon.stderr())?.[1], 30_000)
    .catch((e: Error) => { throw new Error(`${e.message}; the coordinator wrote: ${daemon.stderr()}`); });
  expect((await api(socket, 'GET', '/healthz')).json).toEqual({ ok: true });
  return {
    socket,
    stderr: daemon.stderr,
    async stop() {
      daemon.child.kill('SIGTERM');
      const end = await daemon.done;
      expect(end.code, end.stderr).toBe(0);
    },
  };
}
