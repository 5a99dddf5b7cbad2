import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, tempDir } from '../../testing/fixtures.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { startCheckpointer, COORDINATOR_BACKSTOP_PAGES, type Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { startCheckpointerProcess } from './checkpointer-process.js';
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES, type Db } from './db.js';
import { createLocalBackend } from './index.js';
import { withLockSync } from './sqlite-retry.js';

const PAGE = 4096;
/** A row of about one page, so N rows are about N WAL frames per commit. */
const ROW = new Uint8Array(PAGE - 200);

function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * `rows` one-row transactions, each waiting for the write lock as every
 * backend write does (withLock: a RESTART or TRUNCATE holds it a moment),
 * pausing every `pauseEvery` (so the checkpointer thread gets its ticks): the largest
 * -wal file seen.
 */
async function writeRows(db: Db, file: string, rows: number, pauseEvery = 5): Promise<number> {
  const insert = db.prepare('INSERT INTO t (i, b) VALUES (?, ?)');
  let most = 0;
  for (let i = 0; i < rows; i++) {
    withLockSync(() => insert.run(i, ROW));
    if (i % pauseEvery === pauseEvery - 1) {
      most = Math.max(most, walBytes(file));
      await sleep(1);
    }
  }
  return Math.max(most, walBytes(file));
}

/**
 * Each kind with the most WAL frames its first test may see: both far under the control's 6,000+. A child
 * process falls further behind this barely pausing writer at load (one run of 8 reached ~5,300 frames at
 * load 26, under half of the control's every time on a quiet machine).
 */
const KINDS: Array<[string, (o: CheckpointerOptions) => Checkpointer, number]> = [['thread', startCheckpointer, 4500], ['process', startCheckpointerProcess, 6000]];
const CASES = KINDS.flatMap(([kind, start, most]) => sqliteDriversUnderTest().map((driver) => [kind, driver, start, most] as const));

describe.each(CASES)('checkpointer %s (%s driver)', (_kind, driver, startCheckpointer, mostFrames) => {
  const open: Db[] = [];
  let running: Checkpointer | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    for (const db of open.splice(0)) if (db.open) db.close();
    await cleanup?.();
  });

  async function setUp(autocheckpoint: number): Promise<{ file: string; db: Db }> {
    const tmp = await tempDir('djc-ckpt-');
    cleanup = tmp.cleanup;
    const file = join(tmp.dir, 'djc.sqlite');
    const db = openDatabase(file, { driver });
    open.push(db);
    db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, b BLOB)');
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    return { file, db };
  }

  it('keeps the WAL bounded while a connection that never checkpoints commits', async () => {
    const { file, db } = await setUp(0);
    running = startCheckpointer({ file, db, driver, settings: { busyTickMs: 2, checkpointFrames: 100, restartFrames: 200 } });
    await running.ready;
    // startCheckpointer set the backstop; this test's writer must not checkpoint at all.
    db.pragma('wal_autocheckpoint = 0');
    const most = await writeRows(db, file, 3000);
    // Without the thread the WAL holds all ~9,000 frames (3 per commit: the control below). With it, under
    // half: this writer barely pauses, so a RESTART (which never waits for the lock) often loses to it.
    expect(most).toBeLessThan(mostFrames * PAGE);
    const stats = await running.stop();
    running = undefined;
    expect(stats?.passive).toBeGreaterThan(0);
    expect(stats?.errors).toBe(0);
    // Its last TRUNCATE emptied the -wal file.
    expect(walBytes(file)).toBe(0);
  });

  it('(control) without it, that connection lets the WAL grow with every commit', async () => {
    const { file, db } = await setUp(0);
    expect(await writeRows(db, file, 3000)).toBeGreaterThan(6000 * PAGE);
  });

  it("without a coordinator, a connection's own autocheckpoint bounds the WAL at WAL_AUTOCHECKPOINT_PAGES", async () => {
    const { file, db } = await setUp(WAL_AUTOCHECKPOINT_PAGES);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_AUTOCHECKPOINT_PAGES);
    const most = await writeRows(db, file, WAL_AUTOCHECKPOINT_PAGES + 3000, 100);
    expect(most).toBeLessThan((WAL_AUTOCHECKPOINT_PAGES + 500) * PAGE);
  });

  it('moves the connection to the backstop while it runs, and back when it stops', async () => {
    const { file, db } = await setUp(WAL_AUTOCHECKPOINT_PAGES);
    running = startCheckpointer({ file, db, driver });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(COORDINATOR_BACKSTOP_PAGES);
    await running.stop();
    running = undefined;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_AUTOCHECKPOINT_PAGES);
  });

  it('loses no commit, and readers see each one, while it checkpoints and restarts the WAL', async () => {
    const { file, db } = await setUp(0);
    const reader = openDatabase(file, { driver });
    open.push(reader);
    // The row and its count commit together: a reader sees both or neither, whatever the checkpoint is doing.
    db.exec('CREATE TABLE n (k INTEGER PRIMARY KEY, rows INTEGER NOT NULL); INSERT INTO n VALUES (0, 0)');
    const look = reader.prepare('SELECT (SELECT rows FROM n) AS rows, (SELECT coalesce(max(i), -1) FROM t) AS top');
    running = startCheckpointer({ file, db, driver, settings: { busyTickMs: 1, checkpointFrames: 20, restartFrames: 50, idleTicks: 2 } });
    await running.ready;
    db.pragma('wal_autocheckpoint = 0');
    const insert = db.transaction((i: number) => {
      db.prepare('INSERT INTO t (i, b) VALUES (?, ?)').run(i, ROW);
      db.prepare('UPDATE n SET rows = rows + 1').run();
    });
    let seen = 0;
    for (let i = 0; i < 2000; i++) {
      withLockSync(() => insert.immediate(i));
      // Every commit is visible to the next read, whole.
      const r = look.get() as { rows: number; top: number };
      expect(r).toEqual({ rows: i + 1, top: i });
      seen = r.rows;
      if (i % 10 === 9) await sleep(1);
    }
    const stats = await running.stop();
    running = undefined;
    expect(stats?.restart).toBeGreaterThan(0);
    expect(seen).toBe(2000);
    reader.close();
    db.close();
    // A fresh connection reads the file as left: every row, intact.
    const again = openDatabase(file, { driver });
    open.push(again);
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(again.prepare('SELECT count(*) AS n, (SELECT rows FROM n) AS rows FROM t').get()).toEqual({ n: 2000, rows: 2000 });
  });
});

describe('local backend upkeep', () => {
  it('starts no checkpointer unless asked (DJC_WAL_CHECKPOINTER=on or the option)', async () => {
    const tmp = await tempDir('djc-ckpt-');
    const backend = createLocalBackend({ home: tmp.dir, checkpointer: false });
    try {
      expect(backend.startUpkeep).toBeUndefined();
    } finally {
      await backend.close();
      await tmp.cleanup();
    }
  });


  it('runs one checkpointer until the last of nested starts stops', async () => {
    const tmp = await tempDir('djc-ckpt-');
    const backend = createLocalBackend({ home: tmp.dir, checkpointer: true });
    try {
      const file = join(tmp.dir, 'djc.sqlite');
      const probe = openDatabase(file);
      const backstop = () => probe.pragma('wal_autocheckpoint', { simple: true });
      try {
        const a = backend.startUpkeep?.();
        const b = backend.startUpkeep?.();
        expect(a).toBeTypeOf('function');
        await a?.();
        // Still running after the first stop: commits now are checkpointed, and once they stop the -wal file is emptied.
        probe.exec('CREATE TABLE t (i INTEGER PRIMARY KEY)');
        for (let i = 0; i < 100; i++) probe.prepare('INSERT INTO t (i) VALUES (?)').run(i);
        expect(walBytes(file)).toBeGreaterThan(0);
        const until = Date.now() + 5000;
        while (walBytes(file) > 0 && Date.now() < until) await sleep(50);
        expect(walBytes(file)).toBe(0);
        await b?.();
        expect(backstop()).toBe(WAL_AUTOCHECKPOINT_PAGES);
      } finally {
        probe.close();
      }
    } finally {
      await backend.close();
      await tmp.cleanup();
    }
  });
});

describe('checkpointer process lifecycle', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  }

  it('ends by itself, releasing the file, when its coordinator is killed with SIGKILL', async () => {
    const tmp = await tempDir('djc-ckpt-');
    try {
      const file = join(tmp.dir, 'djc.sqlite');
      // A coordinator stand-in: opens the file, starts the child checkpointer, says its pid, waits to be killed.
      const script = join(tmp.dir, 'parent.mts');
      writeFileSync(script, [
        `import { openDatabase } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'db.ts')).href)};`,
        `import { startCheckpointerProcess } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'checkpointer-process.ts')).href)};`,
        `const db = openDatabase(${JSON.stringify(file)});`,
        `const c = startCheckpointerProcess({ file: ${JSON.stringify(file)}, db, driver: ${JSON.stringify(sqliteDriversUnderTest()[0])} });`,
        // Kept alive as a daemon is (the child itself does not keep its parent's event loop alive).
        'setInterval(() => undefined, 1000);',
        'await c.ready;',
        'process.stdout.write(`${c.pid}\\n`);',
      ].join('\n'));
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const parent = spawn(process.execPath, ['--import', tsx, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      parent.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      await until('the child checkpointer ready', () => out.includes('\n'), 30_000);
      const child = Number(out.trim());
      expect(alive(child)).toBe(true);
      expect(readFileSync(`${file}-checkpointer.pid`, 'utf8')).toBe(String(child));
      parent.kill('SIGKILL');
      await until('the child checkpointer gone', () => !alive(child));
      expect(existsSync(`${file}-checkpointer.pid`)).toBe(false);
    } finally {
      await tmp.cleanup();
    }
  });

  it('never runs two on one file: a second one starts once the first has stopped', async () => {
    const tmp = await tempDir('djc-ckpt-');
    const file = join(tmp.dir, 'djc.sqlite');
    const dbA = openDatabase(file);
    const dbB = openDatabase(file);
    try {
      const a = startCheckpointerProcess({ file, db: dbA, driver: sqliteDriversUnderTest()[0]! });
      await a.ready;
      const b = startCheckpointerProcess({ file, db: dbB, driver: sqliteDriversUnderTest()[0]! });
      let bReady = false;
      void b.ready.then(() => { bReady = true; });
      // Long enough for a child to start and say so (the first did); the second waits for the file's lock.
      await sleep(1500);
      expect(bReady).toBe(false);
      expect(readFileSync(`${file}-checkpointer.pid`, 'utf8')).toBe(String(a.pid));
      await a.stop();
      await until('the second one ready', () => bReady);
      expect(readFileSync(`${file}-checkpointer.pid`, 'utf8')).toBe(String(b.pid));
      expect(await b.stop()).toMatchObject({ errors: 0 });
      expect(existsSync(`${file}-checkpointer.pid`)).toBe(false);
    } finally {
      dbA.close();
      dbB.close();
      await tmp.cleanup();
    }
  });

  it('a backend asked for a process checkpointer runs one child while it keeps up, none after', async () => {
    const tmp = await tempDir('djc-ckpt-');
    const backend = createLocalBackend({ home: tmp.dir, checkpointer: 'process' });
    try {
      const stop = backend.startUpkeep?.();
      expect(stop).toBeTypeOf('function');
      const lockFile = join(tmp.dir, 'djc.sqlite-checkpointer.pid');
      await until('the child holding the file', () => existsSync(lockFile));
      const pid = Number(readFileSync(lockFile, 'utf8'));
      expect(alive(pid)).toBe(true);
      await stop?.();
      expect(alive(pid)).toBe(false);
      expect(existsSync(lockFile)).toBe(false);
    } finally {
      await backend.close();
      await tmp.cleanup();
    }
  });
});
