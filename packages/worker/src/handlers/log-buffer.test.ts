import { describe, expect, it } from 'vitest';
import { formatLogLine, LogBuffer, TailLines } from './log-buffer.js';

describe('LogBuffer', () => {
  it('keeps everything under the cap', () => {
    const log = new LogBuffer(100);
    log.append('one\n');
    log.line('two');
    expect(log.toString()).toBe('one\ntwo\n');
  });

  it('keeps the head and the tail past the cap, and says how much it dropped', () => {
    const log = new LogBuffer(20);
    for (let i = 0; i < 10; i++) log.line(`line ${i}`); // 7 characters each, 70 in all
    // head: "line 0\nlin" cut back to "line 0\n"; tail: " 8\nline 9\n" cut to "line 9\n".
    expect(log.toString()).toBe('line 0\n… 56 bytes omitted …\nline 9\n');
  });
});

describe('TailLines', () => {
  it('keeps the last non-empty lines across chunk boundaries', () => {
    const tail = new TailLines(3);
    tail.append('a\nb\nc');
    tail.append('d\n\ne\n');
    expect(tail.lines()).toEqual(['b', 'cd', 'e']);
    expect(tail.lines(2)).toEqual(['cd', 'e']);
  });
});

describe('formatLogLine', () => {
  it('prefixes an ISO time and the level', () => {
    expect(formatLogLine('info', 'hello')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  hello\n$/);
  });
});
