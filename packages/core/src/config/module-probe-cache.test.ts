import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeModules } from './module-probe.js';
import { MAX_ENTRIES, PRUNE_AFTER_MS } from './module-probe-cache.js';

// A ref probed good is remembered (module-probe-cache.ts): the next probe of
// it loads nothing while every file it loaded is unchanged. Each module here
// appends a line to loads.txt at its top level, so the lines count the loads.

let dir: string;
let cacheDir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-probe-cache-'));
  cacheDir = join(dir, 'home', 'module-probe');
  await mkdir(join(dir, 'home'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const logged = (name: string) => `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'loads.txt'))}, ${JSON.stringify(`${name}\n`)});\n`;
const loads = async () => (existsSync(join(dir, 'loads.txt')) ? (await readFile(join(dir, 'loads.txt'), 'utf8')).split('\n').filter(Boolean) : []);
const probe = async (ref: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) => (await probeModules([ref], { cwd: dir, env, cacheDir }))[0];
/** Moves a file's mtime back, as if written before the probe (a file changed DURING a probe is never remembered). */
const settle = (file: string) => utimes(file, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  await settle(file);
  return file;
}

describe('the module probe remembers good refs', () => {
  it('loads an unchanged module once; a change to it or to a module it imports loads it again', async () => {
    await write('lib.mjs', `${logged('lib')}export const one = 1;\n`);
    const handler = await write('h.mjs', `${logged('h')}import { one } from './lib.mjs';\nexport async function run() { return one; }\n`);
    expect(await probe(`${handler}#run`)).toEqual(expect.objectContaining({ status: 'ok' }));
    expect(await probe(`${handler}#run`)).toEqual({ ref: `${handler}#run`, status: 'ok' });
    expect(await loads()).toEqual(['lib', 'h']);

    await write('lib.mjs', `${logged('lib')}export const one = 11;\n`);
    expect((await probe(`${handler}#run`)).status).toBe('ok');
    expect(await loads()).toEqual(['lib', 'h', 'lib', 'h']);
    expect((await probe(`${handler}#run`)).status).toBe('ok');
    expect(await loads()).toHaveLength(4);

    // Another export of the same file is another entry.
    await write('h.mjs', `${logged('h')}import { one } from './lib.mjs';\nexport async function run() { return one; }\nexport function other() {}\n`);
    expect((await probe(`${handler}#other`)).status).toBe('ok');
    expect(await loads()).toHaveLength(6);
  });

  it('loads it again when a variable it read changed (process.env, node:process, a NODE_* one), not for one it never read', async () => {
    const handler = await write('env.mjs', `${logged('e')}import { env } from 'node:process';\nconst mode = process.env.MODE ?? env.LEVEL;\nexport async function run() { return mode; }\n`);
    const base = { PATH: process.env.PATH, MODE: 'a' };
    await probe(`${handler}#run`, base);
    await probe(`${handler}#run`, { ...base, CI_JOB_ID: '17' });
    expect(await loads()).toEqual(['e']);
    await probe(`${handler}#run`, { ...base, MODE: 'b' });
    expect(await loads()).toEqual(['e', 'e']);
    await probe(`${handler}#run`, { PATH: process.env.PATH, LEVEL: '3' });
    await probe(`${handler}#run`, { PATH: process.env.PATH, LEVEL: '4' });
    await probe(`${handler}#run`, { PATH: process.env.PATH, LEVEL: '4', NODE_PATH: '/x' });
    expect(await loads()).toHaveLength(5);
    await probe(`${handler}#run`, { PATH: process.env.PATH, LEVEL: '4', NODE_PATH: '/x', OTHER: '1' });
    expect(await loads()).toHaveLength(5);

    // A module that lists the environment depends on all of it.
    const lister = await write('list.mjs', `${logged('l')}const n = Object.keys(process.env).length;\nexport async function run() { return n; }\n`);
    await probe(`${lister}#run`, base);
    await probe(`${lister}#run`, base);
    await probe(`${lister}#run`, { ...base, CI_JOB_ID: '18' });
    expect((await loads()).filter((l) => l === 'l')).toEqual(['l', 'l']);
  });

  it('prunes entries not written for 30 days, and the oldest beyond the most it keeps', async () => {
    await mkdir(cacheDir, { recursive: true });
    const old = new Date(Date.now() - PRUNE_AFTER_MS - 60_000);
    for (let i = 0; i < MAX_ENTRIES + 5; i++) {
      const f = join(cacheDir, `k${String(i).padStart(4, '0')}.json`);
      await writeFile(f, '{}');
      // k0000-k0004: too old; the rest: older as i grows.
      await utimes(f, i < 5 ? old : new Date(Date.now() - i * 1000), i < 5 ? old : new Date(Date.now() - i * 1000));
    }
    const handler = await write('h.mjs', `${logged('h')}export async function run() {}\n`);
    await probe(`${handler}#run`);
    const left = (await readdir(cacheDir)).sort();
    expect(left).toHaveLength(MAX_ENTRIES);
    expect(left.filter((n) => /^k000[0-4]\.json$/.test(n))).toEqual([]);
    // The new entry and the newest MAX_ENTRIES - 1 others are kept: k0005 … k0259, k0260 (the oldest) gone.
    expect(left).not.toContain(`k${String(MAX_ENTRIES + 4).padStart(4, '0')}.json`);
    expect(left).toContain('k0005.json');
  });

  it('never remembers a failure: a broken module is loaded, and reported, each time', async () => {
    const handler = await write('bad.mjs', `${logged('bad')}export const run = 3;\n`);
    expect((await probe(`${handler}#run`)).status).toBe('missing');
    expect((await probe(`${handler}#run`)).status).toBe('missing');
    expect(await loads()).toEqual(['bad', 'bad']);
  });

  it('writes nothing when the home does not exist, and a module changed while it was probed is not remembered', async () => {
    cacheDir = join(dir, 'no-home', 'module-probe');
    const handler = await write('h.mjs', `${logged('h')}export async function run() {}\n`);
    await probe(`${handler}#run`);
    await probe(`${handler}#run`);
    expect(existsSync(join(dir, 'no-home'))).toBe(false);
    expect(await loads()).toEqual(['h', 'h']);

    // This one touches itself while it loads (as an editor saving it during the probe would).
    cacheDir = join(dir, 'home', 'module-probe');
    const touchy = await write('touchy.mjs', `${logged('t')}import { utimesSync } from 'node:fs';\nutimesSync(new URL(import.meta.url), new Date(), new Date());\nexport async function run() {}\n`);
    expect((await probe(`${touchy}#run`)).status).toBe('ok');
    expect((await probe(`${touchy}#run`)).status).toBe('ok');
    expect(await loads()).toEqual(['h', 'h', 't', 't']);
  });

  it('does not remember TypeScript (compiled by tsx, whose loads the child may not see)', async () => {
    const handler = await write('h.ts', `${logged('h')}export async function run(): Promise<number> { return 1; }\n`);
    expect((await probe(`${handler}#run`)).status).toBe('ok');
    expect((await probe(`${handler}#run`)).status).toBe('ok');
    expect(await loads()).toEqual(['h', 'h']);
  });
});
