// A pipeline's stages as a graph (SVG): a column per depth, an arrow per `needs`.
import { enc } from './api.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 170;
const H = 46;
const GX = 60;
const GY = 18;

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function stageGraph(stages) {
  const depth = new Map();
  const depthOf = (s) => {
    if (!depth.has(s.name)) depth.set(s.name, 1 + Math.max(-1, ...s.needs.map((n) => depthOf(stages.find((x) => x.name === n) ?? { name: n, needs: [] }))));
    return depth.get(s.name);
  };
  const rows = new Map();
  const pos = new Map();
  for (const s of stages) {
    const d = depthOf(s);
    const r = rows.get(d) ?? 0;
    rows.set(d, r + 1);
    pos.set(s.name, { x: 10 + d * (W + GX), y: 10 + r * (H + GY) });
  }
  const width = 20 + Math.max(...[...pos.values()].map((p) => p.x)) + W;
  const height = 20 + Math.max(...[...pos.values()].map((p) => p.y)) + H;
  const root = svg('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'stage graph' });
  root.append(svg('defs', {}));
  root.firstChild.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0L10,5L0,10z"/></marker>';
  for (const s of stages) {
    const to = pos.get(s.name);
    for (const n of s.needs) {
      const from = pos.get(n);
      if (from) root.append(svg('line', { class: 'edge', 'data-edge': `${n}->${s.name}`, x1: from.x + W, y1: from.y + H / 2, x2: to.x, y2: to.y + H / 2, 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const s of stages) {
    const p = pos.get(s.name);
    const run = s.runs[0];
    const box = svg('a', run ? { href: `#/jobs/${enc(run.jobId)}` } : {});
    const g = svg('g', { class: `node st-${s.status.toLowerCase()}`, 'data-stage': s.name, 'data-status': s.status });
    g.append(svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6 }));
    g.append(svg('text', { x: p.x + 10, y: p.y + 19 }, s.name));
    const t = s.runs.reduce((a, r) => ({ done: a.done + r.tasks.succeeded, total: a.total + r.tasks.total }), { done: 0, total: 0 });
    g.append(svg('text', { x: p.x + 10, y: p.y + 37, class: 'sub' }, `${s.status} · ${t.done}/${t.total}${s.runs.length > 1 ? ` · ${s.runs.length} runs` : ''}`));
    box.append(g);
    root.append(box);
  }
  const wrap = document.createElement('div');
  wrap.className = 'graph-wrap';
  wrap.append(root);
  return wrap;
}
