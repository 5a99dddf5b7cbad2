import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageRun } from '../testing/stage-runs.js';
import type { CacheComponents } from './cache-components.js';
import { explainMiss } from './cache-explain.js';
import { cacheComponents } from './cache-key.js';

const A = 'a'.repeat(56) + '11111111';
const B = 'b'.repeat(56) + '22222222';
const C = 'c'.repeat(56) + '33333333';

const base = (): CacheComponents => ({
  v: 1,
  handler: {
    kind: 'module', entry: '/p/clean.ts', export: 'clean',
    files: [{ path: '/p/clean.ts', sha256: A }, { path: '/p/lib/norm.ts', sha256: B }],
    packages: { zod: '4.0.0' },
  },
  reducer: null,
  settings: { 'input.batch.records': 5000, 'input.format': 'jsonl', 'output.aggregate': 'concat' },
  params: { min_len: 3 },
  point: null,
  input: { kind: 'files', checksum: false, files: [{ path: '/p/data/a.jsonl', size: 100, mtimeMs: Date.UTC(2026, 0, 1) }] },
});

type Change = (c: CacheComponents) => CacheComponents;
const withFiles = (c: CacheComponents, files: Array<{ path: string; sha256: string | null }>): CacheComponents =>
  c.handler.kind === 'module' ? { ...c, handler: { ...c.handler, files } } : c;
const command = (cmd: string, files: Array<{ path: string; sha256: string | null }> = []): CacheComponents['handler'] => ({ kind: 'command', command: cmd, files });
const upstream = (...u: Array<[string, string | null]>): CacheComponents['input'] => ({ kind: 'upstream', upstreams: u.map(([stage, sha256]) => ({ stage, sha256 })) });

describe('explainMiss: why a run cannot re-use the newest earlier run of its stage', () => {
  const cases: Array<{ name: string; prev?: Change | null; now: Change; want: string[] }> = [
    { name: 'no earlier run', prev: null, now: (c) => c, want: ['no earlier run'] },
    { name: 'nothing changed: a hit', now: (c) => c, want: [] },
    { name: 'the handler file changed', now: (c) => withFiles(c, [{ path: '/p/clean.ts', sha256: C }, { path: '/p/lib/norm.ts', sha256: B }]), want: [`handler file clean.ts changed (sha aaaaaaaa → cccccccc)`] },
    { name: 'an imported file changed', now: (c) => withFiles(c, [{ path: '/p/clean.ts', sha256: A }, { path: '/p/lib/norm.ts', sha256: C }]), want: ['handler file lib/norm.ts changed (sha bbbbbbbb → cccccccc)'] },
    { name: 'a new import, a dropped import', now: (c) => withFiles(c, [{ path: '/p/clean.ts', sha256: A }, { path: '/p/lib/trim.ts', sha256: C }]), want: ['handler file lib/trim.ts added', 'handler file lib/norm.ts no longer used'] },
    { name: 'an import deleted', now: (c) => withFiles(c, [{ path: '/p/clean.ts', sha256: A }, { path: '/p/lib/norm.ts', sha256: null }]), want: ['handler file lib/norm.ts was deleted'] },
    { name: 'a file outside the pipeline\'s directory is shown in full', prev: (c) => withFiles(c, [{ path: '/shared/u.ts', sha256: A }]), now: (c) => withFiles(c, [{ path: '/shared/u.ts', sha256: B }]), want: ['handler file /shared/u.ts changed (sha aaaaaaaa → bbbbbbbb)'] },
    { name: 'many files changed: three named, then a count', prev: (c) => withFiles(c, ['a', 'b', 'c', 'd', 'e'].map((n) => ({ path: `/p/${n}.ts`, sha256: A }))), now: (c) => withFiles(c, ['a', 'b', 'c', 'd', 'e'].map((n) => ({ path: `/p/${n}.ts`, sha256: B }))), want: ['handler file a.ts changed (sha aaaaaaaa → bbbbbbbb)', 'handler file b.ts changed (sha aaaaaaaa → bbbbbbbb)', 'handler file c.ts changed (sha aaaaaaaa → bbbbbbbb)', 'and 2 more handler files changed'] },
    { name: 'a package version', now: (c) => (c.handler.kind === 'module' ? { ...c, handler: { ...c.handler, packages: { zod: '4.1.0' } } } : c), want: ['package zod 4.0.0 → 4.1.0'] },
    { name: 'the export', now: (c) => (c.handler.kind === 'module' ? { ...c, handler: { ...c.handler, export: 'clean2' } } : c), want: ['handler export clean → clean2'] },
    { name: 'a module became a command', now: (c) => ({ ...c, handler: command('python3 clean.py') }), want: ['handler is now a command (was a module)'] },
    { name: 'the command string', prev: (c) => ({ ...c, handler: command('python3 train.py --lr 0.1') }), now: (c) => ({ ...c, handler: command('python3 train.py --lr 0.2') }), want: ['handler command "python3 train.py --lr 0.1" → "python3 train.py --lr 0.2"'] },
    { name: 'a declared file of a command', prev: (c) => ({ ...c, handler: command('python3 embed.py', [{ path: '/p/embed.py', sha256: A }]) }), now: (c) => ({ ...c, handler: command('python3 embed.py', [{ path: '/p/embed.py', sha256: B }]) }), want: ['handler file embed.py changed (sha aaaaaaaa → bbbbbbbb)'] },
    { name: 'a reducer added', now: (c) => ({ ...c, reducer: { kind: 'module', entry: '/p/sum.ts', export: 'default', files: [{ path: '/p/sum.ts', sha256: A }], packages: {} } }), want: ['output.reduce added'] },
    { name: 'the reducer\'s file', prev: (c) => ({ ...c, reducer: { kind: 'module', entry: '/p/sum.ts', export: 'default', files: [{ path: '/p/sum.ts', sha256: A }], packages: {} } }), now: (c) => ({ ...c, reducer: { kind: 'module', entry: '/p/sum.ts', export: 'default', files: [{ path: '/p/sum.ts', sha256: B }], packages: {} } }), want: ['reducer file sum.ts changed (sha aaaaaaaa → bbbbbbbb)'] },
    { name: 'a setting', now: (c) => ({ ...c, settings: { ...c.settings, 'input.batch.records': 10000 } }), want: ['setting input.batch.records 5000 → 10000'] },
    { name: 'a setting replaced by another', now: (c) => ({ ...c, settings: { 'input.batch.bytes': 67108864, 'input.format': 'jsonl', 'output.aggregate': 'concat' } }), want: ['setting input.batch.bytes = 67108864 (was not set)', 'setting input.batch.records no longer set (was 5000)'] },
    { name: 'a parameter value', now: (c) => ({ ...c, params: { min_len: 4 } }), want: ['parameter min_len 3 → 4'] },
    { name: 'a parameter newly used', now: (c) => ({ ...c, params: { min_len: 3, lang: 'en' } }), want: ['now uses parameter lang = en'] },
    { name: 'a matrix value', prev: (c) => ({ ...c, point: { lr: 0.1 } }), now: (c) => ({ ...c, point: { lr: 0.01 } }), want: ['matrix value lr 0.1 → 0.01'] },
    { name: 'an input file grew', now: (c) => ({ ...c, input: { kind: 'files', checksum: false, files: [{ path: '/p/data/a.jsonl', size: 120, mtimeMs: Date.UTC(2026, 0, 2) }] } }), want: ['input data/a.jsonl changed (size 100 → 120 bytes)'] },
    { name: 'an input file touched', now: (c) => ({ ...c, input: { kind: 'files', checksum: false, files: [{ path: '/p/data/a.jsonl', size: 100, mtimeMs: Date.UTC(2026, 0, 2) }] } }), want: ['input data/a.jsonl changed (modified 2026-01-01T00:00:00.000Z → 2026-01-02T00:00:00.000Z)'] },
    { name: 'an input file\'s content (input.checksum)', prev: (c) => ({ ...c, input: { kind: 'files', checksum: true, files: [{ path: '/p/a.csv', size: 5, sha256: A }] } }), now: (c) => ({ ...c, input: { kind: 'files', checksum: true, files: [{ path: '/p/a.csv', size: 5, sha256: B }] } }), want: ['input a.csv changed (content sha aaaaaaaa → bbbbbbbb)'] },
    { name: 'an S3 object\'s ETag', prev: (c) => ({ ...c, input: { kind: 'files', checksum: false, files: [{ path: 's3://b/a.csv', size: 5, etag: '"e1"' }] } }), now: (c) => ({ ...c, input: { kind: 'files', checksum: false, files: [{ path: 's3://b/a.csv', size: 5, etag: '"e2"' }] } }), want: ['input s3://b/a.csv changed (ETag "e1" → "e2")'] },
    { name: 'a new file matched by the glob, one gone', now: (c) => ({ ...c, input: { kind: 'files', checksum: false, files: [{ path: '/p/data/b.jsonl', size: 1, mtimeMs: 1 }] } }), want: ['input data/b.jsonl added', 'input data/a.jsonl removed'] },
    { name: 'input.checksum turned on', now: (c) => ({ ...c, input: { kind: 'files', checksum: true, files: [{ path: '/p/data/a.jsonl', size: 100, sha256: A }] } }), want: ['input.checksum false → true (input files are fingerprinted differently)'] },
    { name: 'upstream will run', prev: (c) => ({ ...c, input: upstream(['clean', A]) }), now: (c) => ({ ...c, input: upstream(['clean', null]) }), want: ['upstream clean will run'] },
    { name: 'upstream output changed', prev: (c) => ({ ...c, input: upstream(['clean', A], ['embed', B]) }), now: (c) => ({ ...c, input: upstream(['clean', A], ['embed', C]) }), want: ['upstream embed changed (output sha bbbbbbbb → cccccccc)'] },
    { name: 'other upstreams', prev: (c) => ({ ...c, input: upstream(['clean', A]) }), now: (c) => ({ ...c, input: upstream(['clean', A], ['embed', B]) }), want: ['input from clean → clean, embed'] },
    { name: 'files became upstream', now: (c) => ({ ...c, input: upstream(['clean', A]) }), want: ['input now comes from clean (was files)'] },
    { name: 'several components at once, in component order', now: (c) => ({ ...withFiles(c, [{ path: '/p/clean.ts', sha256: C }, { path: '/p/lib/norm.ts', sha256: B }]), params: { min_len: 4 } }), want: ['handler file clean.ts changed (sha aaaaaaaa → cccccccc)', 'parameter min_len 3 → 4'] },
  ];
  it.each(cases)('$name', ({ prev, now, want }) => {
    const before = prev === null ? null : (prev ?? ((c: CacheComponents) => c))(base());
    const reasons = explainMiss(before, now(base()), { baseDir: '/p' });
    expect(reasons.map((r) => r.text)).toEqual(want);
  });

  it('reasons carry the component that differs', () => {
    const reasons = explainMiss(base(), { ...base(), params: { min_len: 4 }, settings: { ...base().settings, 'output.aggregate': 'none' } });
    expect(reasons.map((r) => r.kind)).toEqual(['setting', 'param']);
  });

  it('names the file a user edited, from components computed on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'djc-explain-'));
    try {
      await writeFile(join(dir, 'a.jsonl'), '{}\n');
      await writeFile(join(dir, 'clean.ts'), 'export const clean = (r: unknown[]) => r;\n');
      const run = stageRun({ input: { path: join(dir, 'a.jsonl') }, handler: { module: `${join(dir, 'clean.ts')}#clean` } });
      const before = (await cacheComponents(run, () => null)).components;
      await writeFile(join(dir, 'clean.ts'), 'export const clean = (r: unknown[]) => r.slice(1);\n');
      const after = (await cacheComponents(run, () => null)).components;
      expect(explainMiss(before, after, { baseDir: dir }).map((r) => r.text)).toEqual([
        expect.stringMatching(/^handler file clean\.ts changed \(sha [0-9a-f]{8} → [0-9a-f]{8}\)$/),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
