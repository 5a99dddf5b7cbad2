import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeModules } from './module-probe.js';

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

    // Another export of the same file, or another environment, is another entry.
    await write('h.mjs', `${logged('h')}import { one } from './lib.mjs';\nexport async function run() { return one; }\nexport function other() {}\n`);
    expect((await probe(`${handler}#other`)).status).toBe('ok');
    expect((await probe(`${handler}#other`, { PATH: process.env.PATH, MODE: 'x' })).status).toBe('ok');
    expect(await loads()).toHaveLength(8);
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
