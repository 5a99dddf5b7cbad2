// The report's figures on the job page (GET /v1/jobs/ID/report, bounded): per section,
// failures grouped by error, a timeline of attempts per worker, a histogram of durations.
import { h, ms, num } from './html.js';

const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs, text) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};

export function drawFigures(root, report) {
  root.replaceChildren(...report.sections.map((s) => h('section', { class: 'figures', 'data-section': s.jobId },
    report.sections.length > 1 ? h('h2', {}, s.title) : null,
    s.capped ? h('p', { class: 'muted' }, `figures from the first ${num(s.tasksRead)} tasks (of ${num(s.tasks.total)})`) : null,
    failures(s.failures), timeline(s.timeline), histogram('Attempt durations', s.durations))));
  performance.mark('djc:figures');
  root.dataset.drawn = 'true';
}

function failures(f) {
  if (f.failed === 0) return h('div', { 'data-test': 'failures' }, h('h3', {}, 'Failures'), h('p', { class: 'muted' }, 'no failed tasks'));
  return h('div', { 'data-test': 'failures' }, h('h3', {}, `Failures: ${num(f.failed)} tasks`, f.grouped < f.failed ? ` (first ${num(f.grouped)} grouped)` : ''),
    h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'tasks'), h('th', {}, 'error'), h('th', {}, 'first tasks'), h('th', {}, 'last log line'))),
      h('tbody', {}, f.groups.map((g) => h('tr', { 'data-group': g.signature }, h('td', {}, num(g.count)), h('td', {}, h('code', {}, g.example)), h('td', {}, g.tasks.join(', ')), h('td', {}, g.lastLine ?? ''))))));
}

function timeline(t) {
  const box = h('div', { 'data-test': 'timeline' }, h('h3', {}, 'Timeline of attempts per worker', t.sampled ? ' (sampled)' : ''));
  if (t.bars.length === 0) return box.append(h('p', { class: 'muted' }, 'no attempts yet')), box;
  const lane = 18;
  const left = 150;
  const width = 900;
  const height = t.workers.length * lane + 24;
  const span = t.spanMs || 1;
  const g = svg('svg', { class: 'timeline', width: left + width + 10, height, role: 'img', 'aria-label': 'timeline' });
  t.workers.forEach((w, i) => g.append(svg('text', { x: 4, y: i * lane + 13, class: 'lane' }, w.length > 22 ? `…${w.slice(-21)}` : w)));
  for (const b of t.bars) {
    const x = left + (b.start / span) * width;
    const r = svg('rect', { x, y: b.lane * lane + 2, width: Math.max(1, ((b.end - b.start) / span) * width), height: lane - 4, class: `bar-${b.status.toLowerCase()}` });
    r.append(svg('title', {}, `task ${b.taskId}: ${b.status}, ${ms(b.end - b.start)}`));
    g.append(r);
  }
  g.append(svg('text', { x: left, y: height - 4, class: 'axis' }, '0'), svg('text', { x: left + width - 60, y: height - 4, class: 'axis' }, ms(span)));
  box.append(g);
  return box;
}

function histogram(title, hist) {
  const box = h('div', { 'data-test': 'histogram' }, h('h3', {}, title));
  if (hist.count === 0) return box.append(h('p', { class: 'muted' }, 'no ended attempts yet')), box;
  box.append(h('p', { class: 'muted' }, `${num(hist.count)} attempts · median ${ms(hist.median)} · p95 ${ms(hist.p95)} · max ${ms(hist.max)}`));
  const max = Math.max(...hist.bins.map((b) => b.count));
  const bw = 36;
  const height = 140;
  const g = svg('svg', { class: 'histogram', width: hist.bins.length * bw + 10, height: height + 20, role: 'img', 'aria-label': title });
  hist.bins.forEach((b, i) => {
    const bh = max ? (b.count / max) * height : 0;
    const r = svg('rect', { x: 5 + i * bw, y: height - bh, width: bw - 4, height: bh, 'data-count': b.count });
    r.append(svg('title', {}, `${ms(b.from)}–${ms(b.to)}: ${b.count}`));
    g.append(r);
  });
  g.append(svg('text', { x: 5, y: height + 15, class: 'axis' }, ms(hist.min)));
  if (hist.bins.length > 1) g.append(svg('text', { x: hist.bins.length * bw - 50, y: height + 15, class: 'axis' }, ms(hist.max)));
  box.append(g);
  return box;
}
