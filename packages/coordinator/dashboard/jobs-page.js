// The jobs list: the newest page from /v1/jobs, then kept live by /v1/events (`job` events).
import { enc, events, get } from './api.js';
import { h, num, ready, statusTag, when } from './html.js';

const COLS = ['job', 'name', 'kind', 'status', 'total', 'succeeded', 'failed', 'running', 'pending', 'records', 'created'];

export function jobsPage() {
  const body = h('tbody');
  const el = h('section', {}, h('h1', {}, 'Jobs'), h('table', { class: 'grid', 'data-test': 'jobs' }, h('thead', {}, h('tr', {}, COLS.map((c) => h('th', {}, c)))), body));
  const rows = new Map();
  let stop = () => {};
  const put = (doc, stage = false) => {
    const row = rowOf(doc, stage);
    const old = rows.get(doc.jobId);
    if (old) old.replaceWith(row);
    else if (!stage) body.prepend(row);
    else return;
    rows.set(doc.jobId, row);
  };
  return {
    el,
    leave: () => stop(),
    async load() {
      const list = await get('/v1/jobs?limit=100');
      for (const j of [...list.jobs].reverse()) {
        put(j);
        for (const s of j.stages ?? []) {
          const r = rowOf(s, true);
          rows.get(j.jobId).after(r);
          rows.set(s.jobId, r);
        }
      }
      if (list.jobs.length === 0) el.append(h('p', { class: 'muted' }, 'No jobs yet: djc submit job.yaml'));
      ready('jobs');
      stop = events('', { job: (doc) => put(doc, doc.parentId !== null) });
    },
  };
}

/** A row; `records` only for a status document (events), the list has counts only. */
function rowOf(j, stage) {
  const t = j.tasks;
  const cells = [
    h('a', { href: `#/jobs/${enc(j.jobId)}` }, j.jobId), j.stage ? `↳ ${j.stage.name}` : j.name, j.kind, statusTag(j.status),
    num(t.total), num(t.succeeded), num(t.failed), num(t.running + t.claimed), num(t.pending + t.retrying),
    j.records ? num(j.records.processed) : '…', when(j.createdAt),
  ];
  return h('tr', { 'data-job': j.jobId, class: stage ? 'stage' : '' }, cells.map((c, i) => h('td', { 'data-col': COLS[i] }, c)));
}
