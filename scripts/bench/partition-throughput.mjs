/**
 * Benchmark 3: partition throughput.
 *
 * Splits a ~1 GiB JSONL (records of 100–300 bytes) into batches of 10,000
 * records with the built core API (`partitionInput`, in its own process:
 * partition-file.mjs), against `wc -l` on the same file: both must find
 * every newline, and wc -l is about the fastest way to do only that. Also
 * splits it by bytes (`batch.bytes`, BENCH_PARTITION_BATCH_BYTES, default
 * 2 MiB, about the size of a 10,000-record batch), which reads only a window
 * at each cut, so its time should not grow with the file; and
 * `split -l 10000` into a temp dir (it copies the data) for reference.
 * Page cache warm for all: each runs once unmeasured, then
 * BENCH_PARTITION_REPS (default 7) measured runs, interleaved; the median,
 * every run, and each run's partitioner / `wc -l` ratio (the two run next
 * to each other, their order swapped every other repetition, so a drift of
 * the machine's load between them cancels out in the median of those
 * ratios). 3 repetitions were too few for a 5% call: at load ~3 one run of
 * either can be 40% off. Peak RSS from GNU time
 * (`/usr/bin/time -v`) when present, and the partitioner's own
 * `process.resourceUsage().maxRSS`.
 *
 * CPU time (user + sys, GNU time) next to wall time, and the load average
 * and CPU pressure (PSI `some avg10`) at the start of each repetition: on a
 * busy shared machine CPU time moves less. (Rounds 1-3 also ran the
 * partitioner forced to one and to two threads; the second thread was
 * removed in round 4: docs/benchmarks.md §3.)
 * BENCH_PARTITION_BASELINE: another checkout (built) whose partitioner
 * process (its own partition-file.mjs) runs interleaved with this one, as
 * "before".
 *
 * Env: BENCH_PARTITION_MIB (default 1024), BENCH_PARTITION_BATCH_BYTES
 * (default 2097152), BENCH_PARTITION_REPS (default 7; not BENCH_REPS, which other benchmarks take as 3), BENCH_PARTITION_BASELINE,
 * BENCH_PARTITION_BASELINE_LABEL (what the report calls it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { generateJsonl } from './gen-jsonl.mjs';
import { main, median, note, round, run, tempDir, TIME_BIN } from './lib.mjs';

const MIB = Number(process.env.BENCH_PARTITION_MIB ?? 1024);
const REPS = Number(process.env.BENCH_PARTITION_REPS ?? 7);
const BATCH = 10000;
const BATCH_BYTES = Number(process.env.BENCH_PARTITION_BATCH_BYTES ?? 2 << 20);
const PARTITIONER = new URL('./partition-file.mjs', import.meta.url).pathname;
const BASELINE = process.env.BENCH_PARTITION_BASELINE || null;
const BASELINE_LABEL = process.env.BENCH_PARTITION_BASELINE_LABEL || BASELINE;

/** PSI `some avg10` of the CPU (% of the last ~10 s in which a runnable task waited), or null without PSI. */
function cpuPressure() {
  try {
    const m = /^some avg10=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

main('partition-throughput', async () => {
  const tmp = await tempDir('partition');
  try {
    const file = join(tmp.dir, 'input.jsonl');
    note(`partition-throughput: generating ${MIB} MiB of JSONL`);
    const t0 = performance.now();
    const gen = await generateJsonl(file, MIB);
    note(`generated ${gen.records} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const splitDir = join(tmp.dir, 'split');

    // root: a baseline checkout, run through its own partition-file.mjs.
    const partition = async (root = '') => {
      const script = root ? join(root, 'scripts/bench/partition-file.mjs') : PARTITIONER;
      const r = await run(process.execPath, [script, file, String(BATCH)], { rss: true, env: { BENCH_PARTITION_ROOT: root } });
      const inner = JSON.parse(r.stdout);
      if (inner.records !== gen.records) throw new Error(`partitioner counted ${inner.records} records, want ${gen.records}`);
      if (inner.batches !== runsBatches(inner.batches)) throw new Error(`partitioner cut ${inner.batches} batches, another run ${firstBatches}`);
      return {
        ms: r.ms, cpuMs: r.cpuMs, innerMs: inner.ms, batches: inner.batches, maxRssKiB: r.maxRssKiB ?? inner.maxRssKiB, selfRssKiB: inner.maxRssKiB,
        splitCpuMs: inner.cpuMs ?? null, mainCpuMs: inner.mainCpuMs ?? null,
      };
    };
    let firstBatches = null;
    const runsBatches = (n) => (firstBatches ??= n);
    const partitionBytes = async () => {
      const r = await run(process.execPath, [PARTITIONER, file, 'bytes', String(BATCH_BYTES)], { rss: true });
      const inner = JSON.parse(r.stdout);
      if (inner.bytes !== gen.bytes) throw new Error(`partitioner by bytes saw ${inner.bytes} bytes, want ${gen.bytes}`);
      const cuts = Math.ceil(gen.bytes / BATCH_BYTES);
      if (inner.batches < cuts - 1 || inner.batches > cuts) throw new Error(`partitioner by bytes made ${inner.batches} batches, want about ${cuts}`);
      return { ms: r.ms, cpuMs: r.cpuMs, innerMs: inner.ms, batches: inner.batches, maxRssKiB: r.maxRssKiB ?? inner.maxRssKiB, selfRssKiB: inner.maxRssKiB };
    };
    const wc = async () => {
      const r = await run('wc', ['-l', file], { rss: true });
      const lines = Number(r.stdout.trim().split(/\s+/)[0]);
      if (lines !== gen.records) throw new Error(`wc -l counted ${lines} lines, want ${gen.records}`);
      return { ms: r.ms, cpuMs: r.cpuMs, maxRssKiB: r.maxRssKiB };
    };
    const split = async () => {
      await rm(splitDir, { recursive: true, force: true });
      await mkdir(splitDir);
      const r = await run('split', ['-l', String(BATCH), file, join(splitDir, 'part-')], { rss: true });
      await rm(splitDir, { recursive: true, force: true });
      return { ms: r.ms, cpuMs: r.cpuMs, maxRssKiB: r.maxRssKiB };
    };

    note('warming the page cache (one unmeasured run of each)');
    await partition();
    await partitionBytes();
    await wc();
    await split();
    if (BASELINE) await partition(BASELINE);
    const runs = { partition: [], bytes: [], wc: [], split: [], baseline: [] };
    const load1 = [];
    const waited = [];
    for (let i = 0; i < REPS; i++) {
      load1.push(round(os.loadavg()[0], 1));
      waited.push(cpuPressure());
      // wc -l between the partitioner and the baseline, their order swapped every other repetition: each is
      // next to a wc -l run, and neither always runs first (right after the last repetition's split).
      const ours = async () => { runs.partition.push(await partition()); };
      const before = async () => { if (BASELINE) runs.baseline.push(await partition(BASELINE)); };
      const [first, second] = i % 2 === 0 ? [ours, before] : [before, ours];
      await first();
      runs.wc.push(await wc());
      await second();
      runs.bytes.push(await partitionBytes());
      runs.split.push(await split());
      note(`#${i + 1} (load ${load1[i]}, PSI some avg10 ${waited[i]}): partition ${runs.partition[i].ms.toFixed(0)} ms (CPU ${runs.partition[i].cpuMs?.toFixed(0)})${BASELINE ? ` (baseline ${runs.baseline[i].ms.toFixed(0)} ms)` : ''} (in-process ${runs.partition[i].innerMs.toFixed(0)} ms), by bytes ${runs.bytes[i].ms.toFixed(0)} ms (in-process ${runs.bytes[i].innerMs.toFixed(1)} ms), wc -l ${runs.wc[i].ms.toFixed(0)} ms, split ${runs.split[i].ms.toFixed(0)} ms`);
    }

    const mb = gen.bytes / 1e6;
    const stat = (xs, key = 'ms') => {
      const ms = median(xs.map((x) => x[key]));
      const cpu = xs.every((x) => typeof x.cpuMs === 'number') ? xs.map((x) => x.cpuMs) : null;
      return {
        msAll: xs.map((x) => round(x[key], 0)), ms: round(ms, 0), mbPerSec: round(mb / (ms / 1000), 0),
        ...(key === 'ms' && cpu ? { cpuMsAll: cpu.map((c) => round(c, 0)), cpuMs: round(median(cpu), 0) } : {}),
      };
    };
    const rss = (xs, key = 'maxRssKiB') => (xs.every((x) => x[key] !== null && x[key] !== undefined) ? Math.max(...xs.map((x) => x[key])) : null);
    const p = stat(runs.partition);
    const inner = stat(runs.partition, 'innerMs');
    const b = stat(runs.bytes);
    const bInner = stat(runs.bytes, 'innerMs');
    const w = stat(runs.wc);
    const s = stat(runs.split);
    const paired = (xs) => xs.map((x, i) => round(x.ms / runs.wc[i].ms, 2));
    const base = BASELINE ? { ...stat(runs.baseline), inProcess: stat(runs.baseline, 'innerMs'), maxRssKiB: rss(runs.baseline), root: BASELINE_LABEL } : null;
    return {
      input: { bytes: gen.bytes, megabytes: round(mb, 1), records: gen.records, batchRecords: BATCH, batches: runs.partition[0].batches, batchBytes: BATCH_BYTES, byteBatches: runs.bytes[0].batches },
      runs: REPS,
      loadAvgAtStart: load1,
      cpuPressureAtStart: waited,
      rssFrom: existsSync(TIME_BIN) ? 'GNU time -v' : 'process.resourceUsage (partitioner only)',
      partition: {
        ...p, maxRssKiB: rss(runs.partition), selfRssKiB: rss(runs.partition, 'selfRssKiB'),
        splitCpuMsAll: runs.partition.map((x) => round(x.splitCpuMs, 0)), splitCpuMs: round(median(runs.partition.map((x) => x.splitCpuMs)), 0),
      },
      partitionInProcess: inner,
      partitionBytes: { ...b, maxRssKiB: rss(runs.bytes), selfRssKiB: rss(runs.bytes, 'selfRssKiB') },
      partitionBytesInProcess: { ...bInner, msAll: runs.bytes.map((x) => round(x.innerMs, 1)), ms: round(median(runs.bytes.map((x) => x.innerMs)), 1) },
      wc: { ...w, maxRssKiB: rss(runs.wc) },
      split: { ...s, maxRssKiB: rss(runs.split) },
      baseline: base,
      ratios: {
        partitionCpuVsWc: p.cpuMs && w.cpuMs ? round(p.cpuMs / w.cpuMs, 2) : null,
        baselineVsWc: base ? round(base.ms / w.ms, 2) : null,
        baselineCpuVsWc: base?.cpuMs && w.cpuMs ? round(base.cpuMs / w.cpuMs, 2) : null,
        partitionVsWc: round(p.ms / w.ms, 2),
        // Each repetition's partitioner / wc -l (run back to back), and their median: steadier than the ratio of the medians when the load drifts.
        partitionVsWcEach: paired(runs.partition),
        partitionVsWcPaired: round(median(paired(runs.partition)), 2),
        ...(BASELINE ? { baselineVsWcEach: paired(runs.baseline), baselineVsWcPaired: round(median(paired(runs.baseline)), 2) } : {}),
        partitionInProcessVsWc: round(inner.ms / w.ms, 2),
        partitionBytesVsWc: round(b.ms / w.ms, 2),
        splitVsWc: round(s.ms / w.ms, 2),
      },
    };
  } finally {
    await tmp.remove();
  }
});
