// The scheduler's queue (GET /v1/queue, as `djc queue --json`): pools, then a row per job.
import { enc, get } from './api.js';
import { h, ms, num, ready, statusTag, when } from './html.js';

const COLS = ['pos', 'job', 'name', 'priority', 'owner', 'per worker', 'workers', 'status', 'reason'];

export function queuePage() {
  const el = h('section', {}, h('h1', {}, 'Queue'));
  return {
    el,
    async load() {
      const { queue, ageMs, stale } = await get('/v1/queue');
      if (!queue) {
        el.append(h('p', { class: 'muted', 'data-test': 'no-queue' }, 'No queue yet: the coordinator writes it when it schedules.'));
        return ready('queue');
      }
      el.append(h('p', { class: stale ? 'error' : 'muted' }, `decided ${when(queue.at)} (${ms(ageMs)} ago) by ${queue.coordinator}`, stale ? ': this queue is stale' : ''));
      el.append(h('table', { class: 'grid', 'data-test': 'pools' }, h('thead', {}, h('tr', {}, ['pool', 'workers used', 'cpus used', 'memory used'].map((c) => h('th', {}, c)))),
        h('tbody', {}, queue.pools.map((p) => h('tr', {}, h('td', {}, p.pool), h('td', {}, `${num(p.used.workers)} / ${inf(p.maxWorkers, num)}`),
          h('td', {}, `${num(p.used.cpus)} / ${inf(p.cpus, num)}`), h('td', {}, `${mib(p.used.memoryBytes)} / ${inf(p.memoryBytes, mib)}`))))));
      const rows = queue.jobs.map((j) => h('tr', { 'data-job': j.jobId }, cells(j).map((c, i) => h('td', { 'data-col': COLS[i] }, c))));
      el.append(h('h2', {}, 'Jobs'), h('table', { class: 'grid', 'data-test': 'queue' }, h('thead', {}, h('tr', {}, COLS.map((c) => h('th', {}, c)))), h('tbody', {}, rows)));
      if (queue.jobs.length === 0) el.append(h('p', { class: 'muted' }, 'no job holds or wants workers'));
      el.append(h('h2', {}, 'Priority classes'), h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['priority', 'queued', 'running', 'wait p50', 'wait p95'].map((c) => h('th', {}, c)))),
        h('tbody', {}, (queue.classes ?? []).map((c) => h('tr', {}, h('td', {}, c.priority), h('td', {}, num(c.queued)), h('td', {}, num(c.running)), h('td', {}, ms(c.waitP50Ms)), h('td', {}, ms(c.waitP95Ms)))))));
      ready('queue');
    },
  };
}

function cells(j) {
  const r = j.resources ?? {};
  return [j.position ?? '', h('a', { href: `#/jobs/${enc(j.jobId)}` }, j.jobId), j.name, j.priority, j.owner,
    `${r.cpus ?? '?'} cpu${r.memoryBytes ? `, ${mib(r.memoryBytes)}` : ''}`, `${j.workersHeld}/${j.workersWanted}`, statusTag(j.status), j.reason?.message ?? ''];
}

// The stored document writes Infinity as null.
const inf = (v, f) => (v === null ? '∞' : f(v));
const mib = (b) => (b === null || b === undefined ? '—' : b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${Math.round(b / 2 ** 20)} MiB`);
