// A job's tasks, a page at a time (GET /v1/jobs/ID/tasks?status=&limit=&cursor=), a filter
// per status, and the logs of a task (GET /v1/jobs/ID/tasks/N/logs).
import { enc, get } from './api.js';
import { h, ms, num, statusTag, when } from './html.js';

export const PAGE = 50;
const STATUSES = ['', 'PENDING', 'CLAIMED', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const COLS = ['task', 'status', 'attempts', 'records', 'bad', 'worker', 'started', 'duration', 'error'];

// A status's counter key (djc status --json `tasks`).
const COUNT = { PENDING: 'pending', CLAIMED: 'claimed', RUNNING: 'running', RETRY_WAIT: 'retrying', SUCCEEDED: 'succeeded', FAILED: 'failed', CANCELLED: 'cancelled' };

/** `counts()`: the job's counters as last shown; a status they say is empty is not asked for (listing by status scans a big job's tasks). */
export function taskTable(jobId, counts = () => null) {
  const body = h('tbody');
  const filter = h('select', { 'data-test': 'status-filter', onchange: () => { cursors = [null]; void page(0); } },
    STATUSES.map((s) => h('option', { value: s }, s || 'all statuses')));
  const prev = h('button', { type: 'button', 'data-test': 'prev', onclick: () => page(at - 1) }, '← previous');
  const next = h('button', { type: 'button', 'data-test': 'next', onclick: () => page(at + 1) }, 'next →');
  const where = h('span', { class: 'muted' });
  const logs = h('div', { 'data-test': 'logs' });
  const el = h('div', {}, h('h2', {}, 'Tasks'), h('div', { class: 'tools' }, filter, prev, next, where),
    h('table', { class: 'grid', 'data-test': 'tasks' }, h('thead', {}, h('tr', {}, COLS.map((c) => h('th', {}, c)))), body), logs);
  // cursors[i]: the cursor of page i (null: the first); nextCursor appends one.
  let cursors = [null];
  let at = 0;
  const rows = new Map();

  async function page(i) {
    const status = filter.value;
    const q = new URLSearchParams({ limit: String(PAGE), ...(status ? { status } : {}), ...(cursors[i] ? { cursor: cursors[i] } : {}) });
    const empty = status && counts()?.[COUNT[status]] === 0;
    const doc = empty ? { tasks: [], nextCursor: null } : await get(`/v1/jobs/${enc(jobId)}/tasks?${q}`);
    at = i;
    cursors = cursors.slice(0, i + 1);
    if (doc.nextCursor) cursors.push(doc.nextCursor);
    rows.clear();
    body.replaceChildren(...doc.tasks.map((t) => rowOf(t)));
    if (doc.tasks.length === 0) body.append(h('tr', {}, h('td', { colspan: COLS.length, class: 'muted' }, 'no tasks')));
    prev.disabled = i === 0;
    next.disabled = !doc.nextCursor;
    where.textContent = `page ${i + 1}${doc.tasks.length ? `: tasks ${doc.tasks[0].taskId}–${doc.tasks.at(-1).taskId}` : ''}`;
    el.dataset.loaded = `${status}:${i}`;
  }

  function rowOf(t) {
    const dur = t.startedAt && t.endedAt ? Date.parse(t.endedAt) - Date.parse(t.startedAt) : null;
    const id = h('button', { type: 'button', class: 'link', title: 'show its logs', onclick: () => showLogs(t.taskId) }, String(t.taskId));
    const cells = [id, statusTag(t.status), t.attempts, num(t.records), num(t.bad), t.worker ?? '—', when(t.startedAt), ms(dur), t.error ?? ''];
    const row = h('tr', { 'data-task': t.taskId }, cells.map((c, i) => h('td', { 'data-col': COLS[i] }, c)));
    rows.set(t.taskId, row);
    return row;
  }

  async function showLogs(taskId) {
    logs.replaceChildren(h('p', { class: 'muted' }, `reading the logs of task ${taskId}…`));
    try {
      const doc = await get(`/v1/jobs/${enc(jobId)}/tasks/${taskId}/logs`);
      logs.replaceChildren(h('h3', {}, `Logs of task ${taskId}`), ...(doc.attempts.length === 0 ? [h('p', { class: 'muted' }, 'no log')]
        : doc.attempts.map((a) => h('div', {}, h('h4', {}, `attempt ${a.attempt}`), h('pre', { 'data-attempt': a.attempt }, a.text || '(empty)')))));
    } catch (e) {
      logs.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  return {
    el,
    load: () => page(0),
    refresh: () => page(at),
    /** A task event: its row on this page is redrawn (other pages are read when shown). */
    update(t) {
      const old = rows.get(t.taskId);
      if (old && (!filter.value || filter.value === t.status)) old.replaceWith(rowOf(t));
    },
  };
}
