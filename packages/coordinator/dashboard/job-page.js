// One job: counters and progress (GET /v1/jobs/ID, then /v1/events?job=ID), cancel,
// a pipeline's stage graph, the task table, and the report's figures (charts.js).
import { ApiError, enc, events, get, post } from './api.js';
import { drawFigures } from './charts.js';
import { h, num, ready, statusTag, when } from './html.js';
import { stageGraph } from './stage-graph.js';
import { taskTable } from './task-table.js';

const COUNTS = ['total', 'pending', 'claimed', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'];
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED']);

export function jobPage(ref) {
  const head = h('div', { class: 'job-head' });
  const counters = h('dl', { class: 'counters', 'data-test': 'counters' });
  const bar = h('div', { class: 'bar' }, h('div', { class: 'done' }), h('div', { class: 'bad' }));
  const cancelMsg = h('p', { class: 'error', role: 'alert', 'data-test': 'cancel-error', hidden: true });
  const graph = h('div', { 'data-test': 'stages' });
  const tasks = h('div');
  const figures = h('div', { 'data-test': 'figures' }, h('p', { class: 'muted' }, 'Reading the figures…'));
  const el = h('section', {}, head, bar, counters, cancelMsg, graph, tasks, figures);
  let stop = () => {};
  let table = null;
  let jobId = ref;
  let shown = null;

  const show = (doc) => {
    shown = doc;
    head.replaceChildren(...[
      h('h1', {}, doc.name, ' ', statusTag(doc.status)),
      h('p', { class: 'muted' }, doc.jobId, ` · ${doc.kind} · owner ${doc.owner || '—'} · created ${when(doc.createdAt)}`, doc.endedAt ? ` · ended ${when(doc.endedAt)}` : ''),
      doc.reason || doc.queueReason ? h('p', { 'data-test': 'reason' }, 'waiting: ', doc.queueReason?.message ?? doc.reason) : null,
      doc.error ? h('p', { class: 'error' }, doc.error) : null,
      ENDED.has(doc.status) ? null : h('button', { type: 'button', 'data-test': 'cancel', onclick: () => cancel(doc.jobId) }, 'Cancel job'),
    ].filter((c) => c !== null));
    const t = doc.tasks;
    counters.replaceChildren(...COUNTS.flatMap((k) => [h('dt', {}, k), h('dd', { 'data-count': k, 'data-value': t[k] }, num(t[k]))]),
      h('dt', {}, 'records'), h('dd', { 'data-count': 'records', 'data-value': doc.records.processed }, `${num(doc.records.processed)} / ${num(doc.records.total)}${doc.records.totalKnown ? '' : '+'}`),
      h('dt', {}, 'bad records'), h('dd', { 'data-count': 'bad', 'data-value': doc.records.bad }, num(doc.records.bad)));
    const pct = (n) => `${t.total ? (100 * n) / t.total : 0}%`;
    bar.children[0].style.width = pct(t.succeeded);
    bar.children[1].style.width = pct(t.failed + t.cancelled);
    if (doc.stages) graph.replaceChildren(stageGraph(doc.stages));
  };

  async function cancel(id) {
    cancelMsg.hidden = true;
    try {
      show(await post(`/v1/jobs/${enc(id)}/cancel`));
    } catch (e) {
      cancelMsg.hidden = false;
      cancelMsg.textContent = e instanceof ApiError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : String(e);
    }
  }

  return {
    el,
    leave: () => stop(),
    async load() {
      const doc = await get(`/v1/jobs/${enc(ref)}`);
      jobId = doc.jobId;
      show(doc);
      ready('job');
      if (doc.kind !== 'pipeline') {
        table = taskTable(jobId, () => shown?.tasks ?? null);
        tasks.replaceChildren(table.el);
        await table.load();
      }
      performance.mark('djc:tasks');
      document.body.dataset.tasks = 'true';
      const drawReport = () => get(`/v1/jobs/${enc(jobId)}/report`).then((r) => drawFigures(figures, r), (e) => figures.replaceChildren(h('p', { class: 'error' }, e.message)));
      // Live until the job ends; then its table page and figures are read once more.
      // A pipeline's event is its own record (no stages, no sums over its runs): its document is read again.
      const onJob = async (d) => {
        show(doc.kind === 'pipeline' ? await get(`/v1/jobs/${enc(jobId)}`) : { ...doc, ...d });
        if (ENDED.has(d.status)) void Promise.all([table?.refresh(), drawReport()]);
      };
      if (!ENDED.has(doc.status)) stop = events(`?job=${enc(jobId)}`, { job: onJob, task: (t) => table?.update(t) });
      if (doc.kind === 'pipeline' && !ENDED.has(doc.status)) {
        // Its stage runs change without its own record changing: read its document every 2 s while it runs.
        const timer = setInterval(() => get(`/v1/jobs/${enc(jobId)}`).then((d) => { show(d); if (ENDED.has(d.status)) clearInterval(timer); }, () => {}), 2000);
        const closeEvents = stop;
        stop = () => { clearInterval(timer); closeEvents(); };
      }
      void drawReport();
    },
  };
}
