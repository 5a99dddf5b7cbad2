import { describe, expect, it } from 'vitest';
import { errorSignature, groupFailures } from './failure-groups.js';

describe('errorSignature', () => {
  it.each([
    ['numbers', 'attempt 1: command exited with code 3: bad batch 3', 'attempt 2: command exited with code 3: bad batch 17'],
    ['absolute paths', 'cannot open /data/in/part-0001.jsonl: ENOENT', 'cannot open /data/other/part-0002.jsonl: ENOENT'],
    ['relative paths', 'read data/a.csv failed', 'read data/sub/b.csv failed'],
    ['urls', 'GET https://api.example.com/v1/items/17 returned 503', 'GET https://api.example.com/v1/items/912?x=1 returned 503'],
    ['ISO timestamps', 'lease expired at 2026-11-30T07:37:12.345Z', 'lease expired at 2026-12-01T00:00:01Z'],
    ['clock times', 'deadline 12:00:01 passed', 'deadline 23:59:59.5 passed'],
    ['uuids', 'request 3f2b8c1e-9a7d-4e2f-8b1a-0c9d8e7f6a5b failed', 'request 00000000-1111-2222-3333-444444444444 failed'],
    ['hex', 'segfault at 0x7f3a2b addr', 'segfault at 0xdeadbeef addr'],
    ['digests', 'sha mismatch 9f86d081884c7d65 of batch', 'sha mismatch a3c1e2 of batch'],
    ['job and worker ids', 'job wordcount-20261130073712-ab12cd lost worker node1:4242:9f2c', 'job wordcount-20261201000000-0f0f0f lost worker node1:77:ab01'],
    ['whitespace', 'boom   at\nline 3', 'boom at line 4'],
  ])('%s are stripped', (_what, a, b) => {
    expect(errorSignature(a)).toBe(errorSignature(b));
  });

  it.each([
    ['different messages', 'attempt 1: timed out after 1s', 'attempt 1: command exited with code 3: bad'],
    ['different words', "KeyError: 'amount'", "KeyError: 'price'"],
    ['different exceptions', 'TypeError: x is not a function', 'RangeError: x is not a function'],
  ])('%s stay apart', (_what, a, b) => {
    expect(errorSignature(a)).not.toBe(errorSignature(b));
  });

  it.each([
    ['attempt 2: command exited with code 3: bad batch 17', 'attempt <n>: command exited with code <n>: bad batch <n>'],
    ['cannot open /data/x.jsonl', 'cannot open <path>'],
    [null, '(no error recorded)'],
    ['   ', '(no error recorded)'],
  ])('%j → %j', (error, signature) => {
    expect(errorSignature(error)).toBe(signature);
  });

  it('cuts a very long signature', () => {
    expect(errorSignature('x'.repeat(5000)).length).toBeLessThanOrEqual(300);
  });
});

describe('groupFailures', () => {
  it('counts each signature, largest group first, first tasks in id order, the first task as the example', () => {
    const tasks = [
      { taskId: 9, error: 'attempt 1: timed out after 5s' },
      { taskId: 2, error: 'attempt 3: command exited with code 1: bad row 20' },
      { taskId: 5, error: 'attempt 3: command exited with code 1: bad row 50' },
      { taskId: 1, error: 'attempt 3: command exited with code 1: bad row 10' },
      { taskId: 7, error: null },
    ];
    expect(groupFailures(tasks)).toEqual([
      { signature: 'attempt <n>: command exited with code <n>: bad row <n>', count: 3, tasks: [1, 2, 5], example: 'attempt 3: command exited with code 1: bad row 10' },
      { signature: '(no error recorded)', count: 1, tasks: [7], example: '(no error recorded)' },
      { signature: 'attempt <n>: timed out after <n>s', count: 1, tasks: [9], example: 'attempt 1: timed out after 5s' },
    ]);
  });

  it('keeps only the first tasks of a group but counts them all', () => {
    const tasks = Array.from({ length: 50 }, (_, i) => ({ taskId: 49 - i, error: `bad ${i}` }));
    const [g] = groupFailures(tasks, 3);
    expect(g).toMatchObject({ count: 50, tasks: [0, 1, 2], example: 'bad 49' });
  });

  it('no tasks, no groups', () => {
    expect(groupFailures([])).toEqual([]);
  });
});
