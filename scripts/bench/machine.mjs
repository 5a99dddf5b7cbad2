/** What the figures were measured on: CPUs, CPU model, memory, OS, Node, and the peers' versions. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim() || null;
  } catch {
    return null;
  }
}

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function osName() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : os.type();
  } catch {
    return os.type();
  }
}

export function machineInfo() {
  return {
    nproc: Number(firstLine('nproc', [])) || os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: osName(),
    kernel: os.release(),
    node: process.version,
    tools: {
      parallel: firstLine('parallel', ['--version']),
      xargs: firstLine('xargs', ['--version']),
      coreutils: firstLine('wc', ['--version']),
    },
  };
}
