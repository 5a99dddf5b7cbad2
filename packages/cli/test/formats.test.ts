/**
 * The input formats beyond jsonl/csv/text end to end through `djc run`:
 * binary (fixed-size records), files (the handler gets paths; a directory
 * as input.path) and compressed inputs (gzip, zstd: a batch per file), each
 * with a module and a command handler, checked against the input.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compress } from '../../core/src/testing/compress.js';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

interface Status { jobId: string; status: string; tasks: { total: number; succeeded: number }; records: { total: number; processed: number; bad: number; totalKnown: boolean } }

async function runJob(yaml: string): Promise<Status> {
  writeFileSync(join(box.dir, 'job.yaml'), yaml);
  const r = await run(['run', 'job.yaml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

describe('format: binary', () => {
  // 1,000 records of 16 bytes: a little-endian uint32 id, then 12 random bytes; 7 stray bytes at the end.
  const RECORDS = 1000;
  function writeInput(): Buffer {
    const bytes = Buffer.concat([...Array.from({ length: RECORDS }, (_, i) => {
      const rec = randomBytes(16);
      rec.writeUInt32LE(i, 0);
      return rec;
    }), randomBytes(7)]);
    writeFileSync(join(box.dir, 'in.bin'), bytes);
    return bytes;
  }

  it('module handler: one Buffer per record; the partial record at the end is skipped and counted', async () => {
    writeInput();
    writeFileSync(join(box.dir, 'ids.mjs'), 'export default (records) => records.map((r) => ({ id: r.readUInt32LE(0), len: r.length }));\n');
    const status = await runJob(`name: bin
input: { path: in.bin, format: binary, binary: { record_size: 16 }, batch: { bytes: 1000 }, on_bad_record: skip }
handler: { module: ./ids.mjs }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    // 1000 bytes per batch rounded down to 992 (62 records): 17 batches.
    expect(status).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 17 }, records: { total: RECORDS + 1, processed: RECORDS, bad: 1 } });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: RECORDS }, (_, id) => ({ id, len: 16 })));
  });

  it('command handler: the bytes on stdin; without record_size each batch is one record', async () => {
    const bytes = writeInput();
    const status = await runJob(`name: bincmd
input: { path: in.bin, format: binary, batch: { bytes: 4KiB } }
handler: { command: "sha256sum | cut -c1-64" }
compute: { workers: 2 }
output: { path: out.txt }
`);
    const batches = Math.ceil(bytes.length / 4096);
    expect(status).toMatchObject({ status: 'SUCCEEDED', tasks: { total: batches }, records: { total: batches, processed: batches } });
    const { createHash } = await import('node:crypto');
    const want = Array.from({ length: batches }, (_, i) => createHash('sha256').update(bytes.subarray(i * 4096, (i + 1) * 4096)).digest('hex'));
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(box.dir, 'out.txt'), 'utf8').trim().split('\n')).toEqual(want);
  });
});

describe('format: files', () => {
  it('a directory of files: module and command handlers get the paths, batch.files at a time', async () => {
    mkdirSync(join(box.dir, 'docs/more'), { recursive: true });
    const files: Record<string, string> = {};
    for (let i = 0; i < 23; i++) {
      const name = i % 3 === 0 ? `more/f${String(i).padStart(2, '0')}.txt` : `f${String(i).padStart(2, '0')}.txt`;
      files[name] = `${'word '.repeat(i + 1)}\n`;
      writeFileSync(join(box.dir, 'docs', name), files[name]);
    }
    const sorted = Object.keys(files).sort();
    writeFileSync(join(box.dir, 'words.mjs'), `import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
export default (paths) => paths.map((p) => ({ file: relative(new URL('./docs', import.meta.url).pathname, p), words: readFileSync(p, 'utf8').trim().split(' ').length }));\n`);
    const status = await runJob(`name: files
input: { path: docs, format: files, batch: { files: 5 } }
handler: { module: ./words.mjs }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    expect(status).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 5 }, records: { total: 23, processed: 23 } });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(sorted.map((file) => ({ file, words: (files[file] as string).trim().split(' ').length })));

    const cmd = await runJob(`name: filescmd
input: { path: "docs/**/*.txt", format: files, batch: { bytes: 40 } }
handler: { command: "xargs wc -c | grep -v ' total$' | awk '{print $1}'" }
output: { path: sizes.txt }
`);
    expect(cmd.status).toBe('SUCCEEDED');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(box.dir, 'sizes.txt'), 'utf8').trim().split('\n').map(Number)).toEqual(sorted.map((f) => Buffer.byteLength(files[f] as string)));
  });
});

describe('compressed inputs', () => {
  it.each(['gzip', 'zstd'] as const)('%s: a batch per file, decompressed by the worker; counted once run', async (codec) => {
    const ext = codec === 'gzip' ? 'gz' : 'zst';
    mkdirSync(join(box.dir, 'logs'));
    let n = 0;
    for (let f = 0; f < 4; f++) {
      const lines = Array.from({ length: 500 + f }, () => JSON.stringify({ n: n++ }));
      writeFileSync(join(box.dir, `logs/part-${f}.jsonl.${ext}`), compress(codec, Buffer.from(`${lines.join('\n')}\n`)));
    }
    writeFileSync(join(box.dir, 'echo.mjs'), 'export default (records) => records.map((r) => r.n);\n');
    for (const handler of ['module: ./echo.mjs', `command: "cut -d: -f2 | tr -d '}'"`]) {
      const status = await runJob(`name: packed
input: { path: "logs/*.${ext}", batch: { records: 100 } }
handler: { ${handler} }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
      expect(status, handler).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 4 }, records: { total: n, processed: n, totalKnown: true } });
      expect(readJsonl(join(box.dir, 'out.jsonl')), handler).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
