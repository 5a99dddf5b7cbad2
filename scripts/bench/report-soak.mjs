/** The docs/benchmarks.md section of `pnpm bench daemon-soak` (scripts/bench/daemon-soak.mjs). */
const n = (x) => x.toLocaleString('en-US');

export function renderDaemonSoak(r, measured) {
  const head = [
    '## 15. A daemon\'s memory over a 1,000-job soak',
    '',
    '`djc coordinator` in a temp home takes one-task jobs (a `cat` command, one',
    'worker of half a cpu each) in waves of 100, each wave submitted in-process',
    'once the previous one ended. Its RSS is read from `/proc/<pid>/status` every',
    'second and at the end of each wave (3 s after its last job ended); heap and',
    'event-loop lag come from its own `coordinator health` lines (every 5 s).',
    'Flat: the RSS after the last wave within 10% of the RSS after the second',
    '(the first wave loads code and warms caches). Measured, not tested: a timing',
    'or memory figure on a shared machine is not a pass/fail test. The daemon keeps',
    'V8\'s young generation at its initial 1 MiB semi-spaces (V8 grows them to 16 MiB',
    'when allocation is busy); a shorter soak with V8\'s default growth',
    '(`node --semi-space-growth-factor=2`, which the daemon leaves alone) shows what',
    'that saves, and the daemon\'s CPU per job what it costs.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const rows = r.waves.map((w) => `| ${n(w.jobs)} | ${w.atS} s | ${w.rssMiB} MiB | ${w.anonMiB ?? '?'} MiB | ${w.fds ?? '?'} | ${w.cpuS ?? '?'} s |`);
  // The second half on its own: a daemon that grows to a plateau and stays there differs from one that keeps growing.
  const mid = r.waves[Math.max(0, Math.floor(r.waves.length / 2) - 1)];
  const last = r.waves.at(-1);
  const secondHalf = (last.rssMiB - mid.rssMiB) / mid.rssMiB;
  return [
    ...head,
    '| jobs ended | at | daemon RSS | of which anonymous | open files | daemon CPU so far |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `RSS ${r.rssMiB.start} MiB at the start, ${r.rssMiB.afterSecondWave} MiB after the second wave, ${r.rssMiB.end} MiB after the last `
      + `(${r.rssMiB.growthFromSecondWave >= 0 ? '+' : ''}${(r.rssMiB.growthFromSecondWave * 100).toFixed(1)}%; peak ${r.rssMiB.max} MiB): `
      + `**${r.flat ? 'flat' : 'not flat'}** by the 10% rule. Heap in use ${r.heapMiB.first} MiB at the first summary, `
      + `${r.heapMiB.last} MiB at the last (peak ${r.heapMiB.max} MiB). Event-loop lag: worst p99 over a 5 s period `
      + `${r.eventLoopLagMs.maxP99} ms, worst single delay ${r.eventLoopLagMs.max} ms. ${n(r.jobs)} jobs in ${r.spanS} s, `
      + `${r.failed} not SUCCEEDED; the daemon used ${r.cpuMsPerJob ?? '?'} ms of CPU per job and wrote ${n(r.jobStateLines)} \`job state\` lines and ${r.healthLines} summaries.`,
    '',
    `Over the second half alone (${n(mid.jobs)} → ${n(last.jobs)} jobs) the RSS moved ${secondHalf >= 0 ? '+' : ''}${(secondHalf * 100).toFixed(1)}% `
      + `(${mid.rssMiB} → ${last.rssMiB} MiB). Timings here come from a shared 2-core machine; memory figures are not timing-sensitive.`,
    '',
    ...whereItGoes(r),
  ];
}

/** The heap V8 reserved against the heap in use, and the soak with V8's default young generation. */
function whereItGoes(r) {
  if (!r.heapTotalMiB) return [];
  const s = r.v8Default;
  const lines = [
    `Where it goes: the JS heap V8 reserved went ${r.heapTotalMiB.first} → ${r.heapTotalMiB.last} MiB (peak ${r.heapTotalMiB.max}) `
      + `while the heap in use went ${r.heapMiB.first} → ${r.heapMiB.last} MiB; memory outside the heap (Buffers, handles) `
      + `${r.externalMiB.first} → ${r.externalMiB.last} MiB; open files ${r.waves[0].fds} → ${r.waves.at(-1).fds}.`,
  ];
  if (s) {
    lines.push('', `With V8's default growth, \`node ${s.nodeArgs.join(' ')}\` (${n(s.jobs)} jobs): RSS ${s.rssMiB.start} MiB at the start, ${s.rssMiB.afterSecondWave} after the second wave, `
      + `${s.rssMiB.end} after the last (${s.rssMiB.growthFromSecondWave >= 0 ? '+' : ''}${(s.rssMiB.growthFromSecondWave * 100).toFixed(1)}%); `
      + `heap reserved ${s.heapTotalMiB.first} → ${s.heapTotalMiB.last} MiB, in use ${s.heapMiB.first} → ${s.heapMiB.last} MiB; `
      + `daemon CPU ${s.cpuMsPerJob} ms per job; event-loop lag worst p99 ${s.eventLoopLagMs.maxP99} ms; ${s.failed} not SUCCEEDED.`);
  }
  lines.push('');
  return lines;
}
