// Draws the djc run report from the JSON in <script id="djc-data"> (built by
// packages/coordinator/src/report). No network, no libraries: DOM and SVG.
// Every figure a test or a script may read carries its raw number in
// data-value; the text is that number formatted for people.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('djc-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = { SUCCEEDED: '#2e8b57', FAILED: '#c0392b', RETRY_WAIT: '#d68910', CANCELLED: '#7f8c8d', PENDING: '#7f8c8d', RUNNING: '#2874a6', CLAIMED: '#2874a6' };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function svg(tag, attrs, children) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, String(attrs[k]));
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function int(n) { return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'); }
  function dur(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    return h > 0 ? h + 'h ' + (m % 60) + 'm' : m + 'm ' + Math.round(s % 60) + 's';
  }
  function bytes(b) {
    if (b === null || b === undefined) return '–';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return (i === 0 ? b : b.toFixed(b < 10 ? 2 : 1)) + ' ' + units[i];
  }
  var FORMAT = { count: int, ms: dur, bytes: bytes };
  function figure(name, value, kind) {
    return el('span', { 'data-field': name, 'data-value': value === null ? '' : value }, [(FORMAT[kind || 'count'])(value)]);
  }
  function card(label, name, value, kind) {
    return el('div', { 'class': 'card' }, [el('div', { 'class': 'label' }, [label]), el('div', { 'class': 'value' }, [figure(name, value, kind)])]);
  }
  function status(s) { return el('span', { 'class': 'status ' + s, 'data-field': 'status' }, [s]); }

  function header() {
    var j = data.job;
    var top = document.getElementById('top');
    top.appendChild(el('h1', {}, [j.name + ' ', status(j.status)]));
    top.appendChild(el('div', { 'class': 'muted' }, [
      j.kind + ' ' + j.jobId + ' · created ' + j.createdAt + (j.endedAt ? ' · ended ' + j.endedAt : '') + ' · report generated ' + data.generatedAt,
    ]));
    if (j.error) top.appendChild(el('div', { 'class': 'note' }, ['Error: ' + j.error]));
    document.title = 'djc report · ' + j.name + ' (' + j.jobId + ')';
  }

  function summary(s) {
    var t = s.tasks;
    return el('div', { 'class': 'cards' }, [
      card('tasks', 'tasks.total', t.total), card('succeeded', 'tasks.succeeded', t.succeeded), card('failed', 'tasks.failed', t.failed),
      card('cancelled', 'tasks.cancelled', t.cancelled), card('not finished', 'tasks.unfinished', t.pending + t.claimed + t.running + t.retrying),
      card(s.capped ? 'attempts (of the tasks read)' : 'attempts', 'attempts', s.attempts), card('records processed', 'records.processed', s.records.processed),
      card('bad records', 'records.bad', s.records.bad), card('wall time', 'wallMs', s.wallMs, 'ms'),
      card('CPU time (measured)', 'usage.cpuMsTotal', s.usage.measured ? s.usage.cpuMsTotal : null, 'ms'),
      card('largest peak memory', 'usage.peakMemoryMax', s.usage.peakMemoryMax, 'bytes'),
    ]);
  }

  function capNote(s) {
    var notes = [];
    if (s.capped) notes.push('Figures below come from the first ' + int(s.tasksRead) + ' of ' + int(s.tasks.total) + ' tasks (the report reads at most ' + int(data.limits.tasksRead) + ' per job); the counts above are exact.');
    if (s.timeline.sampled) notes.push('The timeline draws ' + int(s.timeline.bars.length) + ' of ' + int(s.timeline.attemptsEnded) + ' attempts (every ' + Math.ceil(s.timeline.attemptsEnded / s.timeline.bars.length) + 'th).');
    if (s.failures.grouped < s.failures.failed) notes.push('Failures are grouped from the first ' + int(s.failures.grouped) + ' of ' + int(s.failures.failed) + ' failed tasks.');
    return notes.map(function (n) { return el('div', { 'class': 'note', 'data-field': 'capped' }, [n]); });
  }

  function timeline(s) {
    var tl = s.timeline, lane = 18, left = 170, width = 900, top = 18;
    var h = top + Math.max(1, tl.workers.length) * lane + 4;
    var span = Math.max(1, tl.spanMs);
    var root = svg('svg', { width: left + width + 10, height: h, role: 'img', 'aria-label': 'timeline of attempts per worker' });
    for (var i = 0; i <= 4; i++) {
      var x = left + (width * i) / 4;
      root.appendChild(svg('line', { x1: x, x2: x, y1: top - 4, y2: h, stroke: '#e3e7ec' }));
      root.appendChild(svg('text', { x: i === 4 ? x - 2 : x + 2, y: 11, 'text-anchor': i === 4 ? 'end' : 'start' }, [dur((span * i) / 4)]));
    }
    tl.workers.forEach(function (w, i) {
      root.appendChild(svg('text', { x: 4, y: top + i * lane + 12 }, [w.length > 26 ? w.slice(0, 12) + '…' + w.slice(-12) : w]));
    });
    tl.bars.forEach(function (b) {
      var x = left + (b.start / span) * width, bw = Math.max(1, ((b.end - b.start) / span) * width);
      var r = svg('rect', { x: x, y: top + b.lane * lane + 2, width: bw, height: lane - 5, rx: 2, fill: COLORS[b.status] || '#5b7db1', 'data-task-id': b.taskId });
      r.appendChild(svg('title', {}, ['task ' + b.taskId + ' · ' + b.status + ' · ' + dur(b.end - b.start) + ' · on ' + tl.workers[b.lane]]));
      root.appendChild(r);
    });
    var legend = el('div', { 'class': 'legend' }, ['SUCCEEDED', 'FAILED', 'RETRY_WAIT', 'CANCELLED'].map(function (k) {
      return el('span', {}, [el('i', { style: 'background:' + COLORS[k] }), k.toLowerCase()]);
    }));
    return el('div', { 'class': 'figure', 'data-figure': 'timeline' }, [
      el('div', { 'class': 'caption' }, ['Latest attempt of each task, per worker (' + int(tl.bars.length) + ' attempts, ' + int(tl.workers.length) + ' workers), from the job\'s start']),
      el('div', { 'class': 'timeline-wrap' }, [root]), legend,
    ]);
  }

  function histogram(title, caption, hst, kind, name) {
    var fmt = FORMAT[kind], w = 340, h = 150, pad = 24;
    var box = el('div', { 'class': 'figure', 'data-figure': name }, [el('h3', {}, [title]), el('div', { 'class': 'caption' }, [caption])]);
    if (hst.count === 0) { box.appendChild(el('div', { 'class': 'muted' }, ['no figures'])); return box; }
    var most = Math.max.apply(null, hst.bins.map(function (b) { return b.count; }));
    var bw = (w - 2) / hst.bins.length;
    var root = svg('svg', { width: w, height: h + pad, role: 'img', 'aria-label': title });
    hst.bins.forEach(function (b, i) {
      var bh = most ? (b.count / most) * (h - 14) : 0;
      var r = svg('rect', { x: 1 + i * bw, y: h - bh, width: Math.max(1, bw - 1), height: bh, fill: '#5b7db1', 'data-count': b.count });
      r.appendChild(svg('title', {}, [fmt(b.from) + ' – ' + fmt(b.to) + ': ' + b.count]));
      root.appendChild(r);
    });
    root.appendChild(svg('text', { x: 1, y: h + 14 }, [fmt(hst.min)]));
    root.appendChild(svg('text', { x: w - 1, y: h + 14, 'text-anchor': 'end' }, [fmt(hst.max)]));
    root.appendChild(svg('text', { x: 1, y: 10 }, [String(most)]));
    box.appendChild(root);
    box.appendChild(el('div', { 'class': 'caption' }, [
      int(hst.count) + ' tasks · median ', figure(name + '.median', hst.median, kind), ' · p95 ', figure(name + '.p95', hst.p95, kind), ' · max ', figure(name + '.max', hst.max, kind),
    ]));
    return box;
  }

  function taskTable(rows, name) {
    var head = el('tr', {}, ['task', 'status', 'attempts', 'duration', 'queue wait', 'CPU time', 'peak memory', 'worker', 'error'].map(function (h, i) {
      return el('th', { 'class': i >= 2 && i <= 6 ? 'num' : '' }, [h]);
    }));
    var body = rows.map(function (t) {
      function num(field, v, kind) { return el('td', { 'class': 'num' }, [figure(field, v, kind)]); }
      return el('tr', { 'data-task-id': t.taskId }, [
        el('td', {}, [figure('taskId', t.taskId)]), el('td', {}, [t.status]), num('attempts', t.attempts), num('durationMs', t.durationMs, 'ms'),
        num('waitMs', t.waitMs, 'ms'), num('cpuMs', t.cpuMs, 'ms'), num('peakMemoryBytes', t.peakMemoryBytes, 'bytes'),
        el('td', {}, [t.worker || '–']), el('td', { 'class': 'error' }, [t.error || '']),
      ]);
    });
    if (rows.length === 0) return el('div', { 'class': 'muted' }, ['none']);
    return el('table', { 'data-table': name }, [el('thead', {}, [head]), el('tbody', {}, body)]);
  }

  function failures(f) {
    var box = el('div', { 'data-figure': 'failures' });
    if (f.groups.length === 0) { box.appendChild(el('div', { 'class': 'muted' }, ['no failed tasks'])); return box; }
    box.appendChild(el('div', {}, [figure('failures.failed', f.failed), ' failed tasks, ' + f.groups.length + ' distinct errors (numbers, paths and ids ignored)']));
    f.groups.forEach(function (g) {
      var more = g.count > g.tasks.length ? ', …' : '';
      box.appendChild(el('div', { 'class': 'failure', 'data-group': g.signature }, [
        el('div', {}, [figure('group.count', g.count), ' tasks: ' + g.tasks.join(', ') + more]),
        el('div', {}, [el('code', {}, [g.example])]),
        g.lastLine ? el('div', { 'class': 'muted' }, ['last log line: ', el('code', {}, [g.lastLine])]) : el('span'),
      ]));
    });
    return box;
  }

  function section(s, pipeline) {
    var root = el('section', { 'class': 'job-section', 'data-job-id': s.jobId, 'data-stage': s.stage || '' });
    root.appendChild(el('h2', {}, [(pipeline ? '' : 'job ') + s.title + ' ', status(s.status)]));
    root.appendChild(el('div', { 'class': 'muted' }, [s.jobId + (s.startedAt ? ' · started ' + s.startedAt : '') + (s.endedAt ? ' · ended ' + s.endedAt : '')]));
    root.appendChild(summary(s));
    capNote(s).forEach(function (n) { root.appendChild(n); });
    root.appendChild(el('h3', {}, ['Timeline']));
    root.appendChild(timeline(s));
    root.appendChild(el('div', { 'class': 'grid' }, [
      histogram('Attempt duration', 'handler start to end of each task\'s latest attempt', s.durations, 'ms', 'durations'),
      histogram('Queue wait', 'job start to the claim of each task\'s latest attempt', s.queueWait, 'ms', 'queueWait'),
      histogram('CPU time per attempt', 'user + system; a module handler\'s thread, a command\'s process group', s.cpu, 'ms', 'cpu'),
      histogram('Peak memory per attempt', 'a module handler\'s V8 heap; a command\'s process group RSS', s.memory, 'bytes', 'memory'),
    ]));
    root.appendChild(el('h3', {}, ['Slowest tasks']));
    root.appendChild(taskTable(s.slowest, 'slowest'));
    root.appendChild(el('h3', {}, ['Most CPU time']));
    root.appendChild(taskTable(s.topCpu, 'topCpu'));
    root.appendChild(el('h3', {}, ['Largest peak memory']));
    root.appendChild(taskTable(s.topMemory, 'topMemory'));
    root.appendChild(el('h3', {}, ['Failures']));
    root.appendChild(failures(s.failures));
    return root;
  }

  header();
  var main = document.getElementById('report');
  var pipeline = data.job.kind === 'pipeline';
  if (pipeline) main.appendChild(el('div', { 'class': 'muted' }, [data.sections.length + ' stage runs, one section each']));
  if (data.sections.length === 0) main.appendChild(el('div', { 'class': 'muted' }, ['no stage has run yet']));
  data.sections.forEach(function (s) { main.appendChild(section(s, pipeline)); });
  document.getElementById('bottom').appendChild(el('div', { 'class': 'muted' }, [
    'Figures are of each task\'s latest attempt. CPU time and peak memory are what the worker measured: see "djc tasks --json" (usage) in docs/cli.md.',
  ]));
  document.body.setAttribute('data-ready', 'true');
})();
