import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type JobRecord } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { createProgressDisplay } from './progress.js';

/** A terminal (or pipe) stderr: what was written, its width, and its resize event. */
class FakeStream extends EventEmitter {
  written: string[] = [];
  constructor(readonly isTTY: boolean, public columns: number) {
    super();
  }
  write(s: string): boolean {
    this.written.push(s);
    return true;
  }
}

function job(succeeded: number, status: JobRecord['status'] = 'RUNNING'): JobRecord {
  const config = JobConfigSchema.parse({ name: 'j', input: { path: '/in.jsonl', batch: { records: 100 } }, handler: { command: 'cat' } });
  return {
    jobId: 'j-1', name: 'j', status, backend: 'local', config, configPath: '/job.yaml', mode: 'run',
    createdAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.000Z', endedAt: null, error: null,
    tasks: { total: 10, pending: 10 - succeeded, running: 0, retrying: 0, succeeded, failed: 0, cancelled: 0 },
    records: { total: 1000, processed: succeeded * 100, bad: 0 },
    outputPath: null, cancelRequested: false, coordinator: null, workers: null, version: 1, requests: {},
  };
}

function display(stream: FakeStream, env: NodeJS.ProcessEnv = { TERM: 'xterm' }, clock = { t: 0 }) {
  return createProgressDisplay({ quiet: false, stream: stream as unknown as NodeJS.WriteStream, env, now: () => clock.t });
}

describe('progress display on a terminal', () => {
  it('redraws one row in place, only when the line changed, and on resize to the new width', () => {
    const tty = new FakeStream(true, 100);
    const d = display(tty);
    d.update(job(0));
    d.update(job(0));
    expect(tty.written).toHaveLength(1);
    expect(tty.written[0]).toMatch(/^\r\[-+\] 0% 0\/10 tasks .*\x1b\[K$/);
    tty.columns = 30;
    tty.emit('resize');
    expect(tty.written).toHaveLength(2);
    const narrowed = (tty.written[1] as string).replace(/^\r|\x1b\[K$/g, '');
    expect(narrowed.length).toBeLessThan(30);
    tty.emit('resize'); // same width, same line: nothing to draw
    expect(tty.written).toHaveLength(2);
    d.finish(job(10, 'SUCCEEDED'));
    expect(tty.written.at(-2)).toContain('succeeded');
    expect(tty.written.at(-1)).toBe('\n');
    expect(tty.listenerCount('resize')).toBe(0);
  });

  it('TERM=dumb and pipes get plain lines, at most every two seconds, and the last one', () => {
    for (const [stream, env] of [[new FakeStream(true, 80), { TERM: 'dumb' }], [new FakeStream(false, 0), { TERM: 'xterm' }]] as const) {
      const clock = { t: 0 };
      const d = display(stream, env, clock);
      d.update(job(0));
      clock.t = 500;
      d.update(job(1));
      clock.t = 2500;
      d.update(job(2));
      d.finish(job(10, 'SUCCEEDED'));
      expect(stream.written.map((l) => l.replace(/ · .*/, ''))).toEqual([
        'j-1: running 0% 0/10 tasks\n', 'j-1: running 20% 2/10 tasks\n', 'j-1: succeeded 100% 10/10 tasks\n',
      ]);
      expect(stream.written.join('')).not.toMatch(/\r|\x1b/);
    }
  });
});
