import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { describeHome, findUp, resolveHome, userHome } from './home.js';

let tmp: { dir: string; cleanup(): Promise<void> };
beforeEach(async () => {
  tmp = await tempDir('djc-home-unit-');
  expect(findUp(tmp.dir), 'a .djc above the temp directory would be found by these tests: remove it').toBeNull();
});
afterEach(async () => { await tmp.cleanup(); });

describe('the home rule', () => {
  it('--home, then DJC_HOME, then the nearest .djc upward, then the per-user home', () => {
    const deep = join(tmp.dir, 'p', 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const env = { HOME: join(tmp.dir, 'u') };
    expect(resolveHome(undefined, env, deep)).toEqual({ home: join(tmp.dir, 'u', '.local', 'state', 'djc'), source: 'user', cwd: deep });
    mkdirSync(join(tmp.dir, 'p', '.djc'));
    expect(resolveHome(undefined, env, deep)).toMatchObject({ home: join(tmp.dir, 'p', '.djc'), source: 'found' });
    mkdirSync(join(tmp.dir, 'p', 'a', '.djc'));
    expect(resolveHome(undefined, env, deep)).toMatchObject({ home: join(tmp.dir, 'p', 'a', '.djc'), source: 'found' });
    expect(resolveHome(undefined, { ...env, DJC_HOME: 'rel' }, deep)).toMatchObject({ home: join(deep, 'rel'), source: 'env' });
    expect(resolveHome('../x', { ...env, DJC_HOME: '/abs' }, deep)).toMatchObject({ home: join(tmp.dir, 'p', 'a', 'x'), source: 'flag' });
    // An empty DJC_HOME is unset.
    expect(resolveHome(undefined, { ...env, DJC_HOME: '' }, deep).source).toBe('found');
  });

  it('a file named .djc is not a home; the search stops at the root', () => {
    const dir = join(tmp.dir, 'q');
    mkdirSync(dir);
    writeFileSync(join(dir, '.djc'), 'not a directory');
    expect(findUp(dir)).toBeNull();
  });

  it('XDG_STATE_HOME moves the per-user home, unless it is relative (the XDG spec says to ignore it then)', () => {
    expect(userHome({ HOME: '/h', XDG_STATE_HOME: '/s' })).toBe('/s/djc');
    expect(userHome({ HOME: '/h', XDG_STATE_HOME: 'rel/state' })).toBe('/h/.local/state/djc');
    expect(userHome({ HOME: '/h' })).toBe('/h/.local/state/djc');
  });

  it('describeHome says where and why', () => {
    expect(describeHome({ home: '/h/.local/state/djc', source: 'user', cwd: '/tmp/x' }))
      .toBe('/h/.local/state/djc (the per-user home: no .djc in /tmp/x or its parents)');
    expect(describeHome({ home: '/p/.djc', source: 'found', cwd: '/p/a' })).toBe('/p/.djc (the nearest .djc from /p/a)');
  });
});
