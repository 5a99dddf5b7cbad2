/**
 * docs/troubleshooting.md quotes djc's messages; the quotes it marks with
 * `<!-- case: NAME exit: N -->` (the fenced block below the marker) are
 * re-run here through the CLI, and each must appear verbatim in stderr with
 * that exit code, so the doc cannot drift from the code. `<!-- case: NAME
 * file: F -->` marks a block the doc shows as a file: the case writes it as
 * F, so the line and column numbers the doc quotes are those of the file it
 * shows. What differs from run to run (job ids, times, the sandbox's paths)
 * is mapped from the doc's example values to this run's, and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djcStart, ROOT, sandboxPerTest, waitFor, type CliResult } from './helpers.js';
import { djcAt, homesAbove, place } from './home-helpers.js';

const DOC = join(ROOT, 'docs', 'troubleshooting.md');

interface DocCase {
  /** The quoted message, as the doc shows it. */
  message?: string;
  exit?: number;
  /** Files the doc shows for this case, by name. */
  files: Record<string, string>;
}

/** The marked blocks of the doc, by case name. */
function docCases(): Map<string, DocCase> {
  const cases = new Map<string, DocCase>();
  const marked = /^<!-- case: ([a-z0-9-]+) (exit|file): (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```$/gm;
  for (const [, name = '', kind, value = '', block = ''] of readFileSync(DOC, 'utf8').matchAll(marked)) {
    const c = cases.get(name) ?? { files: {} };
    if (kind === 'file') c.files[value] = `${block}\n`;
    else {
      expect(c.message, `case ${name} has two quoted messages`).toBeUndefined();
      c.message = block;
      c.exit = Number(value);
    }
    cases.set(name, c);
  }
  return cases;
}

/** `text` with each key of `values` replaced by its value, in one pass (a replacement is never replaced again). */
function substitute(text: string, values: Record<string, string>): string {
  const keys = Object.keys(values).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return text;
  const any = new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return text.replace(any, (k) => values[k] ?? k);
}

const box = sandboxPerTest('djc-doc-');

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(box.dir, name), text);
}

const COUNT = 'export const countWords = (records) => records.length;\n'
  + 'export async function merge(outputs) { let n = 0; for await (const o of outputs) n += Number(o); return { total: n }; }\n';
const IN = '{"a":1}\n{"a":2}\n{"a":3}\n';

interface Outcome {
  result: CliResult;
  /** The doc's example values (ids, times, paths) → this run's. */
  values?: Record<string, string>;
}

interface JobRow { jobId: string; status: string; createdAt: string }

async function jobs(): Promise<JobRow[]> {
  const r = await box.run(['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { jobs: JobRow[] }).jobs;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/** Each documented case, made real. */
const SCENARIOS: Record<string, () => Promise<Outcome>> = {
  'no-jobs': async () => {
    // A fresh directory under a HOME of the sandbox's: the doc's /home/me.
    expect(homesAbove(box.dir), 'a .djc above the temp directory would be found: remove it').toEqual([]);
    const p = place(box.dir);
    const cwd = join(p.user, 'proj', 'sub');
    mkdirSync(cwd, { recursive: true });
    return { result: await djcAt(p, cwd, ['list']), values: { '/home/me': p.user } };
  },

  'ambiguous-prefix': async () => {
    write({ 'in.jsonl': '{"a":1}\n', 'job.yaml': 'name: wordcount\ninput: { path: in.jsonl }\nhandler: { command: cat }\ncompute: { workers: 1 }\n' });
    for (let i = 0; i < 2; i++) expect((await box.run(['run', 'job.yaml'])).code).toBe(0);
    const [newer, older] = await jobs();
    if (!newer || !older) throw new Error('two jobs expected');
    const prefix = commonPrefix(newer.jobId, older.jobId).slice(0, 'wordcount-2026'.length);
    return {
      result: await box.run(['status', prefix]),
      values: {
        '"wordcount-2026"': `"${prefix}"`,
        'wordcount-20261202143028-2d2a88': newer.jobId, '2026-12-02T14:30:28.761Z': newer.createdAt,
        'wordcount-20261202143027-2068cb': older.jobId, '2026-12-02T14:30:27.429Z': older.createdAt,
      },
    };
  },

  'numeric-option': async () => ({ result: await box.run(['list', '--limit', 'abc']) }),

  'unknown-key': async () => {
    write({ 'in.jsonl': IN });
    return { result: await box.run(['validate', 'typo.yaml']) };
  },

  'reducer-typo': async () => {
    write({ 'in.jsonl': IN, 'count.mjs': COUNT });
    return { result: await box.run(['validate', 'job.yaml']) };
  },

  'input-fifo': async () => {
    execFileSync('mkfifo', [join(box.dir, 'pipe.jsonl')]);
    return { result: await box.run(['validate', 'job.yaml']) };
  },

  'wait-timeout': async () => {
    write({ 'in.jsonl': '{"a":1}\n', 'job.yaml': 'name: nightly\ninput: { path: in.jsonl }\nhandler: { command: "sleep 60" }\ncompute: { workers: 1, lease: 3s }\n' });
    const run = djcStart(['run', 'job.yaml'], { cwd: box.dir, home: box.home });
    const job = await waitFor('the job to run', async () => (await jobs()).find((j) => j.status === 'RUNNING'));
    const result = await box.run(['wait', 'nightly', '--timeout', '1s']);
    expect((await box.run(['cancel', job.jobId])).code).toBe(0);
    expect((await run.done).code).toBe(1); // cancelled
    return { result, values: { 'nightly-20261202143956-d955da': job.jobId } };
  },

  'pause-ended': async () => {
    write({ 'in.jsonl': '{"a":1}\n', 'job.yaml': 'name: nightly\ninput: { path: in.jsonl }\nhandler: { command: cat }\ncompute: { workers: 1 }\n' });
    expect((await box.run(['run', 'job.yaml'])).code).toBe(0);
    const [job] = await jobs();
    return { result: await box.run(['pause', 'nightly']), values: { 'nightly-20261202143956-d955da': job?.jobId ?? '?' } };
  },

  'token-name-taken': async () => {
    expect((await box.run(['token', 'create', '--scope', 'read', '--name', 'ci'])).code).toBe(0);
    return { result: await box.run(['token', 'create', '--scope', 'submit', '--name', 'ci']) };
  },

  'token-unknown': async () => ({ result: await box.run(['token', 'revoke', 'ci']), values: { '/home/me/project/.djc': box.home } }),

  'read-only-home': async () => {
    write({ 'in.jsonl': '{"a":1}\n', 'job.yaml': 'name: nightly\ninput: { path: in.jsonl }\nhandler: { command: "exit 1" }\ncompute: { workers: 1 }\nretry: { max_attempts: 1 }\n' });
    expect((await box.run(['run', 'job.yaml'])).code).toBe(1);
    chmodSync(box.home, 0o500);
    try {
      return { result: await box.run(['retry', 'nightly']), values: { '/home/me/proj/.djc': box.home } };
    } finally {
      chmodSync(box.home, 0o700);
    }
  },
};

describe('docs/troubleshooting.md quotes djc verbatim', () => {
  const cases = docCases();

  it('every case marked in the doc is run here, and every case run here is marked there, with a message and an exit code', () => {
    expect([...cases.keys()].sort()).toEqual(Object.keys(SCENARIOS).sort());
    for (const [name, c] of cases) expect({ name, message: typeof c.message, exit: Number.isInteger(c.exit) }).toEqual({ name, message: 'string', exit: true });
  });

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      const c = cases.get(name);
      if (!c?.message) throw new Error(`docs/troubleshooting.md has no quoted message for case ${name}`);
      write(c.files);
      const { result, values = {} } = await scenario();
      expect(result.code, result.stderr).toBe(c.exit);
      expect(result.stderr).toContain(substitute(c.message, values));
    });
  }
});
