/**
 * Where the remote CLI talks to: `DJC_URL` (https://host:7420,
 * http://127.0.0.1:7420 or unix:/path/to/api.sock) and `DJC_TOKEN` (a
 * token from `djc token create`; the unix socket needs none). Unset
 * DJC_URL: the CLI opens the backend itself.
 */
import { DjcError } from '@djc/core/read';

export interface RemoteTarget {
  /** As the user wrote it, for messages. */
  url: string;
  /** A TCP base URL (http: or https:), or null for a unix socket. */
  base: URL | null;
  socketPath: string | null;
  token: string | null;
}

export function remoteTarget(env: NodeJS.ProcessEnv = process.env): RemoteTarget | null {
  const url = env.DJC_URL?.trim();
  if (!url) return null;
  const token = env.DJC_TOKEN?.trim() || null;
  if (url.startsWith('unix:')) {
    const socketPath = url.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (socketPath === '') throw badUrl(url);
    return { url, base: null, socketPath, token };
  }
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw badUrl(url);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw badUrl(url);
  return { url, base, socketPath: null, token };
}

function badUrl(url: string): DjcError {
  return new DjcError('USAGE', `DJC_URL "${url}" is not a coordinator's address`, {
    hint: 'use https://HOST:PORT, http://127.0.0.1:PORT or unix:/path/to/api.sock (the daemon prints its addresses when it starts)',
  });
}
