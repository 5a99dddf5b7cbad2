import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_INLINE_OUTPUT_BYTES } from '@djc/core';
import { tempDir } from '../../test-fixtures/attempt-spec.js';
import { pipeInto, StdoutSink } from './stdout-sink.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Streams `chunks` through a sink whose file is in a directory that does not exist yet. */
async function sink(name: string, chunks: Buffer[], limit?: number): Promise<{ out: ReturnType<StdoutSink['output']>; path: string }> {
  const path = join(tmp.dir, name, 'output');
  const s = new StdoutSink(path, limit);
  await pipeInto(Readable.from(chunks), s);
  return { out: s.output(), path };
}

describe('a command\'s stdout: in memory while it can be stored inline, else a file', () => {
  it('keeps an output of up to MAX_INLINE_OUTPUT_BYTES in memory and creates no file (nor its directory)', async () => {
    const data = Buffer.alloc(MAX_INLINE_OUTPUT_BYTES, 'a');
    const { out, path } = await sink('small', [data.subarray(0, 100), data.subarray(100)]);
    expect(out).toEqual({ type: 'buffer', data });
    expect(existsSync(join(path, '..'))).toBe(false);
  });

  it('an empty stdout is an empty buffer', async () => {
    const { out } = await sink('empty', []);
    expect(out).toEqual({ type: 'buffer', data: Buffer.alloc(0) });
  });

  it('spills to the file (creating its directory) once past the limit, with every byte in order', async () => {
    const chunks = [Buffer.from('first\n'), Buffer.from('second\n'), Buffer.alloc(5000, 'x'), Buffer.from('\nlast\n')];
    const { out, path } = await sink('large', chunks, 10);
    expect(out).toEqual({ type: 'file', path });
    expect(readFileSync(path)).toEqual(Buffer.concat(chunks));
  });

  it('spills on the first chunk when that alone is over the limit', async () => {
    const big = Buffer.alloc(MAX_INLINE_OUTPUT_BYTES + 1, 'z');
    const { out, path } = await sink('first-big', [big]);
    expect(out).toEqual({ type: 'file', path });
    expect(readFileSync(path)).toEqual(big);
  });
});

describe('pipeInto: a command\'s stdout into its sink', () => {
  it('a stdout closed before its end (destroyed) rejects with ERR_STREAM_PREMATURE_CLOSE and destroys the sink', async () => {
    const src = new PassThrough();
    const s = new StdoutSink(join(tmp.dir, 'premature', 'output'));
    const done = pipeInto(src, s);
    src.write('partial');
    setImmediate(() => src.destroy());
    await expect(done).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(s.destroyed).toBe(true);
  });

  it('an error of the sink (the spill file cannot be made) rejects with it and destroys the stdout, so the command is not left blocked', async () => {
    const notDir = join(tmp.dir, 'not-a-dir');
    writeFileSync(notDir, '');
    const src = new PassThrough();
    const done = pipeInto(src, new StdoutSink(join(notDir, 'output'), 1));
    src.write('more than one byte');
    await expect(done).rejects.toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
    expect(src.destroyed).toBe(true);
  });

  it('an error of the stdout rejects with it and destroys the sink', async () => {
    const src = new PassThrough();
    const s = new StdoutSink(join(tmp.dir, 'src-error', 'output'));
    const done = pipeInto(src, s);
    src.destroy(Object.assign(new Error('read failed'), { code: 'EIO' }));
    await expect(done).rejects.toMatchObject({ code: 'EIO' });
    expect(s.destroyed).toBe(true);
  });
});
