/**
 * What a module handler's attempt uses, measured by its own thread (threads
 * share one process, so RSS is not theirs to report):
 * - CPU: the thread's user + system time (process.threadCpuUsage, Node
 *   >= 23.9); on an older Node the whole process's time (every thread), an
 *   upper bound, with scope 'process'.
 * - Memory: the thread's V8 heap in use (used heap + external memory such as
 *   Buffers), the largest seen at the attempt's start, its end, and the main
 *   thread's samples (module-runner.ts) while it runs. The thread is pooled:
 *   garbage an earlier attempt left for the collector counts too, until it
 *   is collected (forcing a collection per attempt would cost every attempt).
 */
import { getHeapStatistics, type HeapInfo } from 'node:v8';
import type { AttemptUsage } from '@djc/core';

type CpuReading = { user: number; system: number };

const threadCpu = (process as { threadCpuUsage?: () => CpuReading }).threadCpuUsage?.bind(process);

/** Heap in use of the isolate these statistics are of, in bytes. */
export function heapInUse(h: Pick<HeapInfo, 'used_heap_size' | 'external_memory'>): number {
  return h.used_heap_size + h.external_memory;
}

/** Starts measuring in the handler thread; `end()` gives the attempt's usage. */
export function startThreadUsage(): { end(): AttemptUsage } {
  const cpu0 = readCpu();
  const heap0 = heapInUse(getHeapStatistics());
  return {
    end() {
      const cpu1 = readCpu();
      const cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
      const peakMemoryBytes = Math.max(heap0, heapInUse(getHeapStatistics()));
      return { cpuMs, peakMemoryBytes, scope: threadCpu ? 'thread' : 'process' };
    },
  };
}

function readCpu(): CpuReading {
  return threadCpu ? threadCpu() : process.cpuUsage();
}
