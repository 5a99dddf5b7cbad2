import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LOG_REDACTION } from './logger.js';

const TOKEN = 'djc_0123456789ab_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZn';

/** The lines a logger with djc's redaction writes for `fn`. */
function logged(fn: (log: pino.Logger) => void): string {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done(); } });
  fn(pino({ redact: LOG_REDACTION }, sink));
  return out;
}

describe('log redaction', () => {
  it('never writes an API token, wherever an HTTP layer puts it', () => {
    const out = logged((log) => {
      log.info({ authorization: `Bearer ${TOKEN}` }, 'top level header');
      log.info({ headers: { authorization: `Bearer ${TOKEN}`, cookie: `djc_session=${TOKEN}` } }, 'headers');
      log.info({ req: { method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${TOKEN}`, cookie: `djc_session=${TOKEN}` } } }, 'request');
      log.info({ res: { request: { headers: { authorization: `Bearer ${TOKEN}` } } } }, 'nested request');
      log.info({ token: TOKEN, auth: { token: TOKEN, cookieToken: TOKEN } }, 'fields');
    });
    expect(out.split('\n').filter(Boolean)).toHaveLength(5);
    expect(out).not.toContain('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZn');
    expect(out.match(/\[redacted\]/g)?.length).toBe(9);
    // What is not secret stays readable.
    expect(out).toContain('"url":"/v1/jobs"');
  });
});
