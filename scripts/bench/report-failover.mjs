/** The docs/benchmarks.md section of `pnpm bench failover` (scripts/bench/failover.mjs). */
const s = (x) => `${x.toFixed(2)} s`;

export function renderFailover(r, measured) {
  const head = [
    '## 14. Coordinator failover',
    '',
    'A leader `djc coordinator` runs a job of slow tasks while a standby waits on',
    'the same home; then the leader is taken away and the time is measured from that',
    'moment until the standby holds the lock (its `coordinator started` log line)',
    'and until it coordinates the job (the first mark it writes on the job,',
    '`job.coordinator.seenAt`). **Dead holder:** the leader is SIGKILLed; the',
    'standby sees its pid gone on this host and takes over at once (default 15 s',
    'TTL: the expiry plays no part). Aim: under 1 s. **TTL:** the leader is',
    'SIGSTOPped, which is how a leader on another host that crashed or lost the',
    'network looks from here (not known dead); the standby waits for the lock to',
    'expire (`--lock-ttl`, renewed every `--lock-renew`). Aim: under TTL + 1 s.',
    'The standby polls the lock every 250 ms.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const rows = [
    ...r.dead.runs.map((x, i) => `| dead holder #${i + 1} | ${s(x.lockS)} | ${s(x.coordinatingS)} | |`),
    ...r.expiry.runs.map((x, i) => `| TTL ${r.ttl} #${i + 1} | ${s(x.lockS)} | ${s(x.coordinatingS)} | ${s(x.afterExpiryS)} |`),
  ];
  return [
    ...head,
    '| takeover | lock held after | coordinating after | coordinating, counted from the lock\'s expiry |',
    '| --- | --- | --- | --- |',
    ...rows,
    `| **median, dead holder** | **${s(r.dead.lockS)}** | **${s(r.dead.coordinatingS)}** | |`,
    `| **median, TTL ${r.ttl}** | **${s(r.expiry.lockS)}** | **${s(r.expiry.coordinatingS)}** | **${s(r.expiry.afterExpiryS)}** |`,
    '',
    `A paused leader renewed its lock at most ${r.renew} before the pause, so the TTL path takes between TTL − renewal and TTL, plus the standby's`,
    'poll, up to 0.3 s asking the paused leader\'s API socket whether it still leads (it cannot answer), and its first tick.',
    `Both daemons, the workers and the benchmark share the 2 cores with the other users of this VM${r.loadAvgAtStart ? ` (load average ${r.loadAvgAtStart.join(', ')} at the start)` : ''}.`,
    '',
  ];
}
