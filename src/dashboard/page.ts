/**
 * The dashboard's page and script, as shipped: no build step, no framework, no library. The script
 * reads the JSON endpoints every 10 seconds and draws its charts as SVG; every value goes into the
 * page as text (`textContent`), never as HTML.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Medfusion fleet</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg:#1d2330; --muted:#667085; --line:#e4e7ec; --bg:#f8f9fb; --ok:#12805c; --warn:#b54708; --bad:#b42318; --accent:#2e62d9; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
  header { display:flex; align-items:baseline; gap:16px; padding:14px 24px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  header .muted { color:var(--muted); }
  header a { margin-left:auto; color:var(--accent); }
  main { padding:16px 24px 48px; display:grid; gap:16px; grid-template-columns: repeat(12, 1fr); }
  section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px; grid-column: span 12; min-width:0; }
  section.half { grid-column: span 6; }
  @media (max-width: 1000px) { section.half { grid-column: span 12; } }
  h2 { font-size:14px; margin:0 0 10px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
  .cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap:10px; }
  .card { border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
  .card b { display:block; font-size:22px; }
  .card span { color:var(--muted); font-size:12px; }
  .card.bad b { color:var(--bad); } .card.warn b { color:var(--warn); } .card.ok b { color:var(--ok); }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--muted); font-weight:600; font-size:12px; }
  tbody tr.clickable { cursor:pointer; } tbody tr.clickable:hover { background:#f2f5fb; }
  .scroll { max-height:420px; overflow:auto; }
  .empty { color:var(--muted); padding:8px 0; }
  svg { width:100%; height:180px; display:block; }
  svg text { font-size:10px; fill:var(--muted); }
  .legend { display:flex; gap:14px; font-size:12px; color:var(--muted); margin-top:4px; }
  .legend i { display:inline-block; width:10px; height:3px; margin-right:4px; vertical-align:middle; }
  input[type=search] { padding:5px 8px; border:1px solid var(--line); border-radius:6px; width:260px; margin-bottom:8px; }
  .state-synced { color:var(--ok); } .state-failed { color:var(--bad); } .state-rate-limited, .state-lease-held { color:var(--warn); }
  #detail[hidden] { display:none; }
  #detail-body h2 { margin-top:16px; }
  .error { color:var(--bad); }
</style>
</head>
<body>
<header>
  <h1>Medfusion fleet</h1>
  <span class="muted" id="environment"></span>
  <span class="muted" id="updated"></span>
  <a id="jobs-link" href="/jobs" hidden>Jobs (pg-boss)</a>
</header>
<main>
  <section><h2>Practices by state</h2><div class="cards" id="summary"></div><p class="error" id="error" hidden></p></section>
  <section class="half"><h2>Lag over time</h2><div id="lag-chart"></div>
    <div class="legend"><span><i style="background:#2e62d9"></i>p50</span><span><i style="background:#b54708"></i>p90</span><span><i style="background:#b42318"></i>p99</span><span><i style="background:#98a2b3"></i>max</span></div></section>
  <section class="half"><h2>Throughput (syncs a minute)</h2><div id="throughput-chart"></div>
    <div class="legend"><span><i style="background:#12805c"></i>synced</span><span><i style="background:#b42318"></i>failed</span></div></section>
  <section class="half"><h2>Lag now</h2><div id="lag-distribution"></div></section>
  <section class="half"><h2>Failing practices</h2><div class="scroll" id="failing"></div></section>
  <section><h2>Dead letters</h2><div class="scroll" id="dead-letters"></div></section>
  <section id="detail" hidden><h2 id="detail-title">Practice</h2><div id="detail-body"></div></section>
  <section><h2>Practices</h2><input type="search" id="filter" placeholder="Filter by practice, outcome, error"><div class="scroll" id="practices"></div></section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;

export const APP_JS = String.raw`'use strict';
(function () {
  var state = { config: null, status: null, history: [], deadLetters: [], selected: null };
  var SVG = 'http://www.w3.org/2000/svg';

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function age(s) {
    if (s === null || s === undefined) return 'never';
    if (s < 60) return Math.round(s) + 's';
    if (s < 3600) return Math.round(s / 60) + 'm';
    if (s < 86400) return Math.round(s / 3600) + 'h';
    return Math.round(s / 86400) + 'd';
  }
  function time(iso) { return iso ? new Date(iso).toLocaleString() : '-'; }
  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.message) || (body && body.error) || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function table(columns, rows, onClick) {
    if (rows.length === 0) return el('p', 'None.', 'empty');
    var t = el('table'); var head = el('thead'); var tr = el('tr');
    columns.forEach(function (c) { tr.appendChild(el('th', c[0])); });
    head.appendChild(tr); t.appendChild(head);
    var body = el('tbody');
    rows.forEach(function (row) {
      var r = el('tr');
      columns.forEach(function (c) {
        var v = c[1](row);
        var td = el('td');
        if (v instanceof Node) td.appendChild(v); else td.textContent = v === undefined || v === null ? '-' : String(v);
        if (c[2]) td.className = c[2](row) || '';
        r.appendChild(td);
      });
      if (onClick) { r.className = 'clickable'; r.addEventListener('click', function () { onClick(row); }); }
      body.appendChild(r);
    });
    t.appendChild(body);
    return t;
  }
  function replace(id, node) { var box = $(id); box.textContent = ''; box.appendChild(node); }

  function renderSummary() {
    var s = state.status.summary;
    var cards = [
      ['practices', s.practices, ''], ['current', s.current, 'ok'], ['stale', s.stale, s.stale ? 'warn' : ''],
      ['never synced', s.neverSynced, ''], ['failing', s.failing, s.failing ? 'bad' : ''],
      ['rate-limited', s.rateLimited, s.rateLimited ? 'warn' : ''], ['syncing now', s.syncing, ''],
      ['leases expiring', s.expiringLeases, s.expiringLeases ? 'warn' : ''],
      ['dead letters', s.deadLetters === undefined ? '-' : s.deadLetters, s.deadLetters ? 'bad' : ''],
      ['invitations of unknown outcome', s.unknownInvitations, s.unknownInvitations ? 'warn' : '']
    ];
    var box = $('summary'); box.textContent = '';
    cards.forEach(function (c) {
      var card = el('div', null, 'card ' + c[2]); card.setAttribute('data-card', c[0]);
      card.appendChild(el('b', c[1])); card.appendChild(el('span', c[0])); box.appendChild(card);
    });
    $('environment').textContent = 'environment ' + state.status.environment;
    $('updated').textContent = 'updated ' + new Date(state.status.at).toLocaleTimeString();
  }

  /** A line chart of the history: one polyline per series, y from 0 to the highest value. */
  function lineChart(id, points, series, unit) {
    var box = $(id); box.textContent = '';
    if (points.length === 0) { box.appendChild(el('p', 'No history yet: a worker writes a snapshot every minute.', 'empty')); return; }
    var W = 600, H = 180, L = 44, B = 20, T = 8;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': id });
    var max = 1;
    points.forEach(function (p) { series.forEach(function (k) { if (p[k[0]] !== null && p[k[0]] > max) max = p[k[0]]; }); });
    var t0 = new Date(points[0].takenAt).getTime(), t1 = new Date(points[points.length - 1].takenAt).getTime();
    var x = function (t) { return L + (t1 === t0 ? (W - L) / 2 : (t - t0) / (t1 - t0) * (W - L - 4)); };
    var y = function (v) { return H - B - v / max * (H - B - T); };
    for (var i = 0; i <= 4; i++) {
      var v = max * i / 4;
      s.appendChild(svg('line', { x1: L, x2: W, y1: y(v), y2: y(v), stroke: '#eef0f3' }));
      s.appendChild(svg('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end' }, unit === 's' ? age(v) : Math.round(v)));
    }
    s.appendChild(svg('text', { x: L, y: H - 4 }, new Date(t0).toLocaleTimeString()));
    s.appendChild(svg('text', { x: W, y: H - 4, 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString()));
    series.forEach(function (k) {
      var d = points.filter(function (p) { return p[k[0]] !== null; })
        .map(function (p) { return x(new Date(p.takenAt).getTime()).toFixed(1) + ',' + y(p[k[0]]).toFixed(1); });
      if (d.length > 0) s.appendChild(svg('polyline', { points: d.join(' '), fill: 'none', stroke: k[1], 'stroke-width': 1.6, 'data-series': k[0] }));
    });
    box.appendChild(s);
  }

  /** Bars of practices by lag bucket, now. */
  function distribution() {
    var buckets = [['< 1m', 60], ['1-5m', 300], ['5-15m', 900], ['15-60m', 3600], ['1-6h', 21600], ['> 6h', Infinity]];
    var counts = buckets.map(function () { return 0; }); var never = 0;
    state.status.practices.forEach(function (p) {
      if (p.lagSeconds === undefined || p.lagSeconds === null) { never++; return; }
      for (var i = 0; i < buckets.length; i++) if (p.lagSeconds < buckets[i][1]) { counts[i]++; return; }
    });
    var labels = buckets.map(function (b) { return b[0]; }).concat(['never']);
    counts.push(never);
    var W = 600, H = 180, B = 20, T = 14, max = Math.max.apply(null, counts.concat([1]));
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'lag-distribution' });
    var w = W / counts.length;
    counts.forEach(function (c, i) {
      var h = c / max * (H - B - T);
      s.appendChild(svg('rect', { x: i * w + 8, y: H - B - h, width: w - 16, height: h, fill: i === counts.length - 1 ? '#98a2b3' : (i < 3 ? '#12805c' : '#b54708'), 'data-bucket': labels[i], 'data-count': c }));
      s.appendChild(svg('text', { x: i * w + w / 2, y: H - B - h - 3, 'text-anchor': 'middle' }, c));
      s.appendChild(svg('text', { x: i * w + w / 2, y: H - 5, 'text-anchor': 'middle' }, labels[i]));
    });
    replace('lag-distribution', s);
  }

  function throughput() {
    var box = $('throughput-chart');
    if (state.history.length === 0) { box.textContent = ''; box.appendChild(el('p', 'No history yet.', 'empty')); return; }
    var pts = state.history, W = 600, H = 180, L = 44, B = 20, T = 8;
    var max = Math.max.apply(null, pts.map(function (p) { return p.syncs + p.failures; }).concat([1]));
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'throughput' });
    var w = (W - L) / pts.length;
    for (var i = 0; i <= 4; i++) {
      var v = max * i / 4, yy = H - B - v / max * (H - B - T);
      s.appendChild(svg('line', { x1: L, x2: W, y1: yy, y2: yy, stroke: '#eef0f3' }));
      s.appendChild(svg('text', { x: L - 4, y: yy + 3, 'text-anchor': 'end' }, Math.round(v)));
    }
    pts.forEach(function (p, i) {
      var hs = p.syncs / max * (H - B - T), hf = p.failures / max * (H - B - T);
      s.appendChild(svg('rect', { x: L + i * w, y: H - B - hs, width: Math.max(w - 1, 1), height: hs, fill: '#12805c' }));
      s.appendChild(svg('rect', { x: L + i * w, y: H - B - hs - hf, width: Math.max(w - 1, 1), height: hf, fill: '#b42318' }));
    });
    s.appendChild(svg('text', { x: L, y: H - 4 }, new Date(pts[0].takenAt).toLocaleTimeString()));
    s.appendChild(svg('text', { x: W, y: H - 4, 'text-anchor': 'end' }, new Date(pts[pts.length - 1].takenAt).toLocaleTimeString()));
    box.textContent = ''; box.appendChild(s);
  }

  function jobsLink(path, text) {
    if (!state.config || !state.config.jobs) return document.createTextNode(text);
    var a = el('a', text); a.href = '/jobs/' + path; a.addEventListener('click', function (e) { e.stopPropagation(); }); return a;
  }

  function practices() {
    var q = $('filter').value.trim().toLowerCase();
    var rows = state.status.practices.filter(function (p) {
      return !q || [p.practiceId, p.lastOutcome, p.lastErrorClass, p.leaseHolder].join(' ').toLowerCase().indexOf(q) >= 0;
    });
    replace('practices', table([
      ['Practice', function (p) { return p.practiceId; }],
      ['Last success', function (p) { return time(p.lastSuccessAt); }],
      ['Lag', function (p) { return age(p.lagSeconds); }],
      ['Pages', function (p) { return p.lastRunPages; }],
      ['Patients', function (p) { return p.lastRunPatients; }],
      ['Lease', function (p) { return p.leaseHolder ? p.leaseHolder + (p.leaseState === 'expiring' ? ' (expiring)' : '') : '-'; }],
      ['Outcome', function (p) { return p.lastOutcome; }, function (p) { return 'state-' + p.lastOutcome; }],
      ['Last error', function (p) { return p.lastErrorClass ? p.lastErrorClass + (p.consecutiveFailures > 1 ? ' x' + p.consecutiveFailures : '') : '-'; }]
    ], rows, select));
  }

  function failing() {
    var rows = state.status.practices.filter(function (p) { return p.lastOutcome === 'failed'; })
      .sort(function (a, b) { return b.consecutiveFailures - a.consecutiveFailures; });
    replace('failing', table([
      ['Practice', function (p) { return p.practiceId; }],
      ['Error class', function (p) { return p.lastErrorClass; }],
      ['Failures in a row', function (p) { return p.consecutiveFailures; }],
      ['Last success', function (p) { return age(p.lagSeconds); }]
    ], rows, select));
  }

  function deadLetters() {
    var queues = state.config ? state.config.queues : {};
    replace('dead-letters', table([
      ['Practice', function (d) { return d.practiceId; }],
      ['Kind', function (d) { return d.kind; }],
      ['Reason', function (d) { return d.reason ? d.reason.errorClass + (d.reason.status ? ' (HTTP ' + d.reason.status + ')' : '') + (d.reason.code ? ' [' + d.reason.code + ']' : '') + (d.reason.callback ? ' in ' + d.reason.callback : '') + (d.reason.rule ? ' (' + d.reason.rule + ')' : '') : '-'; }],
      ['Dead-lettered', function (d) { return time(d.deadLetteredAt); }],
      ['Attempts', function (d) { return d.attempts; }],
      ['Job', function (d) { return jobsLink('queues/' + encodeURIComponent(queues.deadLetter) + '/jobs/' + encodeURIComponent(d.id), d.id.slice(0, 8)); }]
    ], state.deadLetters, function (d) { if (d.practiceId) select({ practiceId: d.practiceId }); }));
  }

  function select(p) {
    state.selected = p.practiceId;
    showDetail();
  }

  function showDetail() {
    if (!state.selected) return;
    var id = state.selected;
    getJson('/api/practices/' + encodeURIComponent(id)).then(function (d) {
      var queues = state.config.queues;
      $('detail').hidden = false;
      $('detail-title').textContent = 'Practice ' + d.practiceId;
      var body = el('div');
      var links = el('p');
      links.appendChild(jobsLink('schedules/' + encodeURIComponent(queues.sync) + '/' + encodeURIComponent(d.practiceId), 'its schedule in pg-boss'));
      body.appendChild(links);
      body.appendChild(el('h2', 'Checkpoint'));
      body.appendChild(table([
        ['API version', function (c) { return c.apiVersion; }],
        ['Cursor age', function (c) { return c.hasCursor ? age(c.cursorAgeSeconds) : 'no cursor (from the start)'; }],
        ['Updated', function (c) { return time(c.updatedAt); }],
        ['Lease holder', function (c) { return c.holder; }],
        ['Lease expires', function (c) { return time(c.leaseExpiresAt); }],
        ['Renewed', function (c) { return time(c.leaseRenewedAt); }],
        ['Fence', function (c) { return c.fence; }]
      ], d.checkpoints));
      body.appendChild(el('h2', 'Invitation batches of unknown outcome'));
      body.appendChild(table([
        ['Batch id', function (b) { return b.batchId; }],
        ['Patients', function (b) { return b.patients; }],
        ['Attempts', function (b) { return b.attempts; }],
        ['Sent', function (b) { return time(b.updatedAt); }]
      ], d.unknownBatches));
      body.appendChild(el('h2', 'Runs'));
      body.appendChild(table([
        ['Finished', function (r) { return time(r.finishedAt); }],
        ['Kind', function (r) { return r.kind; }],
        ['Outcome', function (r) { return r.outcome; }, function (r) { return 'state-' + r.outcome; }],
        ['Pages', function (r) { return r.pages; }],
        ['Patients', function (r) { return r.patients; }],
        ['ms', function (r) { return r.durationMs; }],
        ['Error', function (r) { return r.errorClass ? r.errorClass + (r.httpStatus ? ' (HTTP ' + r.httpStatus + ')' : '') + (r.errorCode ? ' [' + r.errorCode + ']' : '') : '-'; }],
        ['By', function (r) { return r.actor; }],
        ['Job', function (r) { return r.jobId ? jobsLink('queues/' + encodeURIComponent(r.kind === 'invite' ? queues.invite : queues.sync) + '/jobs/' + encodeURIComponent(r.jobId), r.jobId.slice(0, 8)) : '-'; }]
      ], d.runs));
      replace('detail-body', body);
    }).catch(showError);
  }

  function showError(e) { var p = $('error'); p.hidden = false; p.textContent = 'Could not read the fleet: ' + e.message; }

  function refresh() {
    Promise.all([
      getJson('/api/status'),
      getJson('/api/history?hours=24'),
      getJson('/api/dead-letters').catch(function () { return []; })
    ]).then(function (r) {
      state.status = r[0]; state.history = r[1]; state.deadLetters = r[2];
      $('error').hidden = true;
      renderSummary();
      lineChart('lag-chart', state.history, [['lagP50', '#2e62d9'], ['lagP90', '#b54708'], ['lagP99', '#b42318'], ['lagMax', '#98a2b3']], 's');
      throughput(); distribution(); failing(); deadLetters(); practices();
      if (state.selected) showDetail();
      document.body.setAttribute('data-loaded', 'true');
    }).catch(showError).then(function () { setTimeout(refresh, 10000); });
  }

  getJson('/api/config').then(function (c) {
    state.config = c;
    if (c.jobs) $('jobs-link').hidden = false;
    $('filter').addEventListener('input', function () { if (state.status) practices(); });
    refresh();
  }).catch(showError);
})();
`;
