/**
 * Requests to the coordinator's API over node:http(s) (which, unlike
 * fetch, reach a unix socket too). Every failure becomes the DjcError the
 * local path would raise: the API's `{"error":{code,message,hint}}` keeps
 * its code; an unreachable address is BACKEND_UNAVAILABLE (exit 3) naming
 * DJC_URL; 401/403/429 name DJC_TOKEN and the scope needed (exit 2).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DjcError } from '@djc/core/read';
import type { DjcErrorCode, Logger } from '@djc/core';
import type { RemoteTarget } from './remote-target.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const KNOWN: readonly string[] = ['CONFIG_INVALID', 'USAGE', 'NOT_FOUND', 'CONFLICT', 'ILLEGAL_TRANSITION', 'BACKEND_UNAVAILABLE', 'INPUT_INVALID', 'INTERNAL'];

export class ApiClient {
  constructor(readonly target: RemoteTarget, private readonly log?: Logger) {}

  /** A JSON answer (2xx), or the answer's error thrown as a DjcError. */
  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, o);
    const text = await readAll(res);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DjcError('BACKEND_UNAVAILABLE', `${this.target.url} answered ${method} ${path} with something other than JSON`, { hint: 'is DJC_URL the address of a djc coordinator (djc coordinator --listen)?' });
    }
  }

  /** The answer as a stream (2xx); errors thrown as in json(). */
  async send(method: string, path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.raw(method, path, o);
    if ((res.statusCode ?? 0) < 300) return res;
    throw this.errorOf(res.statusCode ?? 0, await readAll(res), method, path);
  }

  private raw(method: string, path: string, o: RequestOptions): Promise<IncomingMessage> {
    const { base, socketPath, token } = this.target;
    const url = new URL(path, base ?? 'http://localhost');
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (token && !socketPath) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const send = url.protocol === 'https:' && !socketPath ? httpsRequest : httpRequest;
    this.log?.debug({ method, path: url.pathname, query: url.search }, 'api request');
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(socketPath ? { socketPath } : {}), ...(o.signal ? { signal: o.signal } : {}) }, resolve);
      req.on('error', (e) => reject(this.unreachable(e as NodeJS.ErrnoException)));
      req.end(o.body);
    });
  }

  private unreachable(e: NodeJS.ErrnoException): Error {
    if (e.name === 'AbortError') return e;
    const why = e.code === 'ECONNREFUSED' ? 'nothing listens there' : e.code === 'ENOENT' ? 'no such socket' : e.code === 'ENOTFOUND' ? 'unknown host' : e.message;
    const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(e.code ?? '');
    return new DjcError('BACKEND_UNAVAILABLE', `cannot reach the coordinator at DJC_URL=${this.target.url}: ${why}`, {
      cause: e,
      hint: tls
        ? 'its TLS certificate is not trusted here: give the CA that signed it with NODE_EXTRA_CA_CERTS=/path/ca.pem'
        : 'is `djc coordinator --listen HOST:PORT` running there? Unset DJC_URL to use the local backend',
    });
  }

  private errorOf(status: number, text: string, method: string, path: string): DjcError {
    let body: { error?: { code?: string; message?: string; hint?: string; details?: unknown } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch { /* not the envelope */ }
    const err = body.error ?? {};
    const message = err.message ?? `${method} ${path}: HTTP ${status}`;
    if (status === 401 || status === 403 || status === 429) return this.authError(status, err.code, message, err.hint);
    const code = (err.code && KNOWN.includes(err.code) ? err.code : status === 404 ? 'NOT_FOUND' : status >= 500 ? 'BACKEND_UNAVAILABLE' : 'USAGE') as DjcErrorCode;
    return new DjcError(code, message, { ...(err.hint ? { hint: err.hint } : {}), ...(err.details === undefined ? {} : { details: err.details }) });
  }

  private authError(status: number, code: string | undefined, message: string, hint: string | undefined): DjcError {
    const where = `the coordinator at DJC_URL=${this.target.url}`;
    if (status === 403) {
      return new DjcError('AUTH_FORBIDDEN', `${where} refused: ${message}`, { hint: 'ask for a token of that scope (djc token create --scope submit|admin) and set it in DJC_TOKEN' });
    }
    if (status === 429) return new DjcError('AUTH_FORBIDDEN', `${where} refused: ${message}`, { hint: hint ?? 'too many failed attempts from this address; wait, then check DJC_TOKEN' });
    const missing = this.target.token === null;
    return new DjcError('AUTH_FORBIDDEN', `${where} refused: ${missing ? 'DJC_TOKEN is not set' : `the token in DJC_TOKEN is not valid (${code ?? 'AUTH_INVALID'}: ${message})`}`, {
      hint: 'set DJC_TOKEN to a token from `djc token create --scope read|submit|admin` on the coordinator\'s host',
    });
  }
}

export function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => { text += d; });
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
}
