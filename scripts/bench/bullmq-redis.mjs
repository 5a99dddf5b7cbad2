/**
 * A Redis server for the bullmq benchmark: Debian's `redis-server` (run.sh
 * installs it when missing), on a free 127.0.0.1 port, no persistence (no RDB
 * snapshots, no AOF), its working dir in the benchmark's temp dir. It is
 * stopped by its PID: `stop()`, and, should the benchmark die first, on the
 * benchmark's exit, SIGINT or SIGTERM; never any other redis-server.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { procFigures } from './proc-tree.mjs';

export const REDIS_BIN = 'redis-server';

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The servers this process started and has not stopped yet: pid → ChildProcess. */
const live = new Map();
let hooked = false;
/**
 * Stops the servers still running when the benchmark ends or is interrupted:
 * on SIGINT/SIGTERM, SIGTERM to each and a wait for its exit (so it is
 * reaped, not left a zombie); on 'exit', which allows nothing asynchronous,
 * SIGKILL.
 */
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      const exits = [...live.values()].map((child) => new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      }));
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000))]);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Starts one server and waits until it accepts connections (rejects if it exits first). */
function startOn(port, dir) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  const child = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`cannot start ${REDIS_BIN} (run.sh installs the Debian package redis-server): ${e.message}`)));
    child.on('exit', (code, sig) => reject(new Error(`${REDIS_BIN} exited with ${code ?? sig} before it was ready: ${log.trim().split('\n').slice(-3).join(' | ')}`)));
    const onData = (b) => {
      log += b;
      if (log.includes('Ready to accept connections')) {
        child.stdout.off('data', onData);
        child.removeAllListeners('exit');
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b) => { log += b; });
  });
}

/**
 * Starts redis-server (a few tries, in case another process took the free
 * port meanwhile). Returns { port, pid, figures(), stop() }:
 * figures() = its peak RSS (VmHWM) and CPU so far, from /proc.
 */
export async function startRedis(dir) {
  hookExit();
  let lastError;
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    let child;
    try {
      child = await startOn(port, dir);
    } catch (e) {
      lastError = e;
      continue;
    }
    live.set(child.pid, child);
    const exited = new Promise((r) => child.once('exit', r));
    child.stdout.resume();
    child.stderr.resume();
    return {
      port,
      pid: child.pid,
      figures: () => procFigures(child.pid),
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return live.delete(child.pid);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        live.delete(child.pid);
      },
    };
  }
  throw lastError;
}
