/**
 * The daemon's listeners (docs/api.md): the unix socket in the home (mode
 * 0600: only the home's owner connects, and is trusted), and with
 * `--listen HOST:PORT` a TCP one, HTTPS with `--tls-cert/--tls-key`. Off
 * loopback, plain HTTP is refused unless `--insecure-http` says a proxy in
 * front terminates TLS. TCP requests carry tokens: without an authorizer
 * there is no TCP listener.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { DjcError, type Backend, type Logger } from '@djc/core';
import type { Metrics } from '../observe/metrics.js';
import type { Authorizer } from './auth/authorizer.js';
import { createService } from './create-service.js';
import { clearStaleSocket, keepingSuccessorsSocket } from './api-socket.js';
import { IdempotencyStore } from './idempotency.js';

/** The unix socket's name in the home. */
export const API_SOCKET = 'api.sock';

export interface ServeOptions {
  backend: Backend;
  log: Logger;
  home: string;
  /** The unix socket's path (null: none). */
  socketPath: string | null;
  /** `--listen HOST:PORT`. */
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  authorizer?: Authorizer;
  eventsEveryMs?: number;
  metrics?: Metrics;
  /**
   * This process leads the backend (it holds the coordinator lock): a socket
   * that still answers belongs to a leader that lost the lock (paused), and is
   * replaced rather than refused.
   */
  leading?: boolean;
}

export interface RunningApi {
  /** Where it listens, for people: `unix:/…/api.sock`, `https://127.0.0.1:7420`. */
  urls: string[];
  close(): Promise<void>;
}

/** Checks the options (USAGE errors before anything listens), then listens. */
export async function serveApi(o: ServeOptions): Promise<RunningApi> {
  const tcp = o.listen === undefined ? null : await tcpPlan(o);
  const apps: { close(): Promise<unknown> }[] = [];
  const urls: string[] = [];
  const idempotency = new IdempotencyStore(o.backend);
  const base = { backend: o.backend, log: o.log, home: o.home, authorizer: o.authorizer, idempotency, eventsEveryMs: o.eventsEveryMs, metrics: o.metrics };
  try {
    if (o.socketPath !== null) {
      await mkdir(dirname(o.socketPath), { recursive: true });
      await clearStaleSocket(o.socketPath, o.backend, o.leading === true);
      const app = await createService({ ...base, transport: 'unix' });
      apps.push(keepingSuccessorsSocket(app, o.socketPath));
      await app.listen({ path: o.socketPath });
      await chmod(o.socketPath, 0o600);
      urls.push(`unix:${o.socketPath}`);
    }
    if (tcp) {
      const app = await createService({ ...base, transport: 'tcp', ...(tcp.https ? { https: tcp.https } : {}) });
      apps.push(app);
      await app.listen({ host: tcp.host, port: tcp.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : tcp.port;
      urls.push(`${tcp.https ? 'https' : 'http'}://${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${port}`);
    }
  } catch (e) {
    await Promise.allSettled(apps.map((a) => a.close()));
    throw listenError(e, o);
  }
  return { urls, close: async () => void (await Promise.allSettled(apps.map((a) => a.close()))) };
}

async function tcpPlan(o: ServeOptions): Promise<{ host: string; port: number; https: { cert: Buffer; key: Buffer } | null }> {
  const { host, port } = parseListen(o.listen!);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new DjcError('USAGE', `${o.tlsCert === undefined ? '--tls-key' : '--tls-cert'} needs ${o.tlsCert === undefined ? '--tls-cert' : '--tls-key'} too`, { hint: 'give both: --tls-cert cert.pem --tls-key key.pem' });
  }
  if (o.tlsCert === undefined && !isLoopback(host) && !o.insecureHttp) {
    throw new DjcError('USAGE', `refusing to listen on ${o.listen} without TLS: tokens and data would cross the network in clear text`, {
      hint: 'give --tls-cert FILE --tls-key FILE (PEM), or --insecure-http when a proxy in front of djc terminates TLS; or listen on 127.0.0.1',
    });
  }
  if (!o.authorizer) {
    throw new DjcError('USAGE', `--listen ${o.listen}: a TCP listener needs token authentication, which this coordinator has not got`, {
      hint: 'use the unix socket in the home (no token needed), or a djc build with `djc token`',
    });
  }
  const https = o.tlsCert === undefined ? null : { cert: await readPem(o.tlsCert, '--tls-cert'), key: await readPem(o.tlsKey!, '--tls-key') };
  return { host, port, https };
}

/** `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (all addresses). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new DjcError('USAGE', `--listen "${text}" is not HOST:PORT`, { hint: 'e.g. --listen 127.0.0.1:7420, --listen [::1]:7420, --listen 0.0.0.0:7420 (with --tls-cert/--tls-key)' });
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

async function readPem(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new DjcError('USAGE', `${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { hint: 'a PEM file, e.g. made with: openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -subj /CN=localhost' });
  }
}

function listenError(e: unknown, o: ServeOptions): unknown {
  if (e instanceof DjcError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new DjcError('USAGE', `--listen ${o.listen}: the address is in use`, { hint: 'choose another port, or stop what listens there' });
  if (code === 'EACCES') return new DjcError('USAGE', `--listen ${o.listen}: not allowed to listen there`, { hint: 'ports under 1024 need privileges; use e.g. 7420' });
  if (code === 'EADDRNOTAVAIL') return new DjcError('USAGE', `--listen ${o.listen}: this host has no such address`, { hint: 'use 127.0.0.1, 0.0.0.0 or one of this host\'s addresses' });
  if ((e as Error).message?.includes('ENAMETOOLONG') || code === 'ENAMETOOLONG') return new DjcError('USAGE', `the API socket path ${o.socketPath} is too long for a unix socket (at most ~107 bytes)`, { hint: 'give a shorter one with --socket PATH' });
  return e;
}
