// Calls to the daemon's /v1 API (same origin: the session cookie goes along).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP';
    this.hint = body?.error?.hint ?? '';
  }
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method, credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body ?? {});
export const enc = encodeURIComponent;

/** Server-Sent Events of /v1/events; returns a function that closes the stream. */
export function events(query, on) {
  const src = new EventSource(`/v1/events${query}`);
  for (const [type, fn] of Object.entries(on)) src.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  src.onerror = () => { if (src.readyState === EventSource.CLOSED) on.closed?.(); };
  return () => src.close();
}
