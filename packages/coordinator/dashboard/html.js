// Small DOM helpers: elements built with text nodes only (no innerHTML of data).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const num = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));
export const ms = (v) => (v === null || v === undefined ? '—' : v < 1000 ? `${Math.round(v)} ms` : v < 60_000 ? `${(v / 1000).toFixed(1)} s` : `${(v / 60_000).toFixed(1)} min`);
export const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
export const statusTag = (s) => h('span', { class: `st st-${String(s).toLowerCase()}`, 'data-status': s }, s);

/** Marks the page drawn (tests and the benchmark wait for it). */
export function ready(page) {
  performance.mark(`djc:${page}`);
  document.body.dataset.page = page;
  document.body.dataset.ready = 'true';
}
