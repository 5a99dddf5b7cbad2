import { describe, expect, it } from 'vitest';
import { httpStatusFor } from './http-errors.js';
import { isLoopback, parseListen } from './serve-api.js';

describe('--listen', () => {
  it.each([
    ['127.0.0.1:7420', { host: '127.0.0.1', port: 7420 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['build-host:443', { host: 'build-host', port: 443 }],
  ])('%s is %o', (text, want) => expect(parseListen(text)).toEqual(want));

  it.each(['7420', 'host', 'host:99999', '127.0.0.1:http', '::1:7420'])('%s is a usage error naming the form', (text) => {
    expect(() => parseListen(text)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('HOST:PORT') }));
  });

  it.each([
    ['127.0.0.1', true], ['127.3.2.1', true], ['::1', true], ['localhost', true],
    ['0.0.0.0', false], ['10.0.0.5', false], ['::', false], ['build-host', false], ['128.0.0.1', false],
  ])('%s loopback: %s', (host, want) => expect(isLoopback(host)).toBe(want));
});

describe('HTTP status of an error code', () => {
  it.each([
    ['USAGE', 400], ['CONFIG_INVALID', 400], ['INPUT_INVALID', 400], ['NOT_FOUND', 404], ['CONFLICT', 409],
    ['ILLEGAL_TRANSITION', 409], ['BACKEND_UNAVAILABLE', 503], ['INTERNAL', 500], ['LEASE_LOST', 500],
  ])('%s → %i', (code, status) => expect(httpStatusFor(code)).toBe(status));
});
