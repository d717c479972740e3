/**
 * The charts of the report page (browser ES2020 as text; see pageScript.ts for the helpers it
 * uses: plot, line, hidden, fmtMs, msTicks, timeAxis, rawDots, …). Every time chart shares
 * one x axis (windows of `data.windowS` seconds), one cursor and one zoom.
 */
export const PAGE_CHARTS = `
  var x = data.x;
  var win = data.windowS < 1 ? fmtMs(data.windowS * 1000) : trim(data.windowS, 1) + ' s';
  var valueAt = function (u, i, client, label) {
    for (var s = 1; s < u.series.length; s++) {
      var ser = u.series[s];
      if (ser.client === client && ser.label === label && ser.show) return u.data[s][i];
    }
    return undefined;
  };
  var at = function (u, i) { return fmtClock(u.data[0][i] - data.windowS / 2) + '–' + fmtClock(u.data[0][i] + data.windowS / 2) + ' · '; };
  var perClient = function (u, i, parts) {
    return clients.map(function (c) {
      var text = parts.map(function (p) { var v = valueAt(u, i, c.id, c.label + ' ' + p[0]); return v == null ? null : p[1] + ' ' + p[2](v); })
        .filter(function (t) { return t != null; }).join(', ');
      return text ? c.label + ': ' + text : null;
    }).filter(Boolean).join('  ·  ');
  };

  // RTT: median line and p90/p99 bands per window, every exchange as a dot once zoomed in.
  (function () {
    var series = [{}], bands = [], columns = [x];
    clients.forEach(function (c) {
      var i50 = series.length;
      series.push(line(c, 'p50', { width: 2 }), line(c, 'p90', { width: 1, stroke: fade(c.color, 0.7) }), line(c, 'p99', { width: 1, dash: [4, 3] }));
      columns.push(c.rtt.p50, c.rtt.p90, c.rtt.p99);
      bands.push({ series: [i50 + 1, i50], fill: fade(c.color, 0.22) }, { series: [i50 + 2, i50 + 1], fill: fade(c.color, 0.08) });
    });
    var status = statusLine('chart-rtt');
    var u = plot('chart-rtt', {
      title: 'Round-trip time per ' + win + ' window: median, p90, p99',
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [timeAxis, { label: 'RTT (log scale)', values: logMsTicks, size: 70 }],
      series: series, bands: bands,
      hooks: { draw: [rawDots('rtt', status)] },
    }, columns, {
      time: true, key: 'line: median · shade: p50–p90 · dashed: p99 · dots: every exchange (zoomed in)',
      describe: function (u, i) { return at(u, i) + perClient(u, i, [['p50', 'median', fmtMs], ['p99', 'p99', fmtMs]]); },
    });
    document.getElementById('chart-rtt').appendChild(status);
    return u;
  })();

  // RTT CDF on a log axis: the body and the tail of every client in one picture.
  (function () {
    var tables = clients.map(function (c) {
      var xs = [], ps = [];
      c.cdf.x.forEach(function (v, i) { if (v > 0) { xs.push(v); ps.push(c.cdf.p[i] * 100); } });
      return [xs, ps];
    });
    plot('chart-cdf', {
      title: 'RTT distribution (CDF): share of exchanges at or below each RTT',
      scales: { x: { time: false, distr: 3 }, y: { range: [0, 100] } },
      axes: [{ label: 'RTT (log scale)', values: logMsTicks }, { label: '% of exchanges', size: 60, values: function (u, s) { return s.map(function (v) { return v + ' %'; }); } }],
      series: [{}].concat(clients.map(function (c) { return line(c, 'CDF', { width: 2, spanGaps: true }); })),
    }, uPlot.join(tables), {
      key: 'read across at 50 % for the median, at 99 % for p99',
      describe: function (u, i) { return '≤ ' + fmtMs(u.data[0][i]) + ': ' + clients.map(function (c, k) { var v = u.data[k + 1][i]; return v == null ? null : c.label + ' ' + trim(v, 3) + ' %'; }).filter(Boolean).join(' · '); },
    });
  })();

  // Loss and missed slots per window.
  (function () {
    var series = [{}], columns = [x];
    clients.forEach(function (c) {
      series.push(line(c, 'missed', { width: 1.5, paths: uPlot.paths.stepped({ align: 0 }) }));
      series.push(line(c, 'lost', { width: 0, paths: function () { return null; }, points: { show: true, size: 7, fill: c.color, stroke: '#fff', width: 1 } }));
      columns.push(c.missed, c.lost.map(function (n) { return n > 0 ? n : null; }));
    });
    plot('chart-loss', {
      title: 'Missed slots and lost ticks per ' + win + ' window',
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [timeAxis, { label: 'slots or ticks per window', size: 60 }],
      series: series,
    }, columns, {
      time: true, key: 'line: slots the timer missed (no tick sent) · dots: ticks sent but never answered',
      describe: function (u, i) { var id = function (v) { return String(v); }; return at(u, i) + perClient(u, i, [['missed', 'missed', id], ['lost', 'lost', id]]); },
    });
  })();

  // Timer error: how late each tick left its slot.
  (function () {
    var series = [{}], columns = [x];
    clients.forEach(function (c) {
      series.push(line(c, 'p50', { width: 1.5 }), line(c, 'p99', { width: 1, dash: [4, 3] }));
      columns.push(c.timer.p50, c.timer.p99);
    });
    plot('chart-timer', {
      title: 'Timer error per ' + win + ' window: how late ticks left their slot',
      scales: { x: { time: false } },
      axes: [timeAxis, { label: 'lateness', values: msTicks, size: 70 }],
      series: series,
    }, columns, {
      time: true, key: 'line: median · dashed: p99',
      describe: function (u, i) { return at(u, i) + perClient(u, i, [['p50', 'median', fmtMs], ['p99', 'p99', fmtMs]]); },
    });
  })();

  // Offset θ of the best (smallest-δ) exchange per window, with its ±δ/2 bound.
  (function () {
    var series = [{}], bands = [], columns = [x];
    clients.forEach(function (c) {
      var lo = c.theta.map(function (t, i) { return t == null ? null : t - c.halfDelay[i]; });
      var hi = c.theta.map(function (t, i) { return t == null ? null : t + c.halfDelay[i]; });
      var k = series.length;
      series.push(line(c, 'θ', { width: 1.5 }), hidden(c, 'θ−δ/2'), hidden(c, 'θ+δ/2'));
      columns.push(c.theta, lo, hi);
      bands.push({ series: [k + 2, k + 1], fill: fade(c.color, 0.15) });
    });
    var status = statusLine('chart-offset');
    plot('chart-offset', {
      title: 'Clock offset θ (server minus client) per ' + win + ' window, with its ±δ/2 bound',
      scales: { x: { time: false } },
      axes: [timeAxis, { label: 'θ', values: msTicks, size: 70 }],
      series: series, bands: bands,
      hooks: { draw: [rawDots('theta', status)] },
    }, columns, {
      time: true, key: 'line: θ of the window\\'s smallest-delay exchange · shade: θ ± δ/2, where the true offset must lie · dots: every exchange (zoomed in)',
      describe: function (u, i) { return at(u, i) + perClient(u, i, [['θ', 'θ', fmtMs], ['θ+δ/2', 'upper bound', fmtMs]]); },
    });
    document.getElementById('chart-offset').appendChild(status);
  })();

  // Apparent one-way delay per direction.
  (function () {
    var series = [{}], columns = [x];
    clients.forEach(function (c) {
      series.push(line(c, '↑ up', { width: 1.5 }), line(c, '↓ down', { width: 1.5, dash: [5, 3] }));
      columns.push(c.up, c.down);
    });
    plot('chart-oneway', {
      title: 'Apparent one-way delay per ' + win + ' window (median): ↑ client → server, ↓ server → client',
      scales: { x: { time: false } },
      axes: [timeAxis, { label: 'one-way delay', values: msTicks, size: 70 }],
      series: series,
    }, columns, {
      time: true, key: 'solid: up (t2 − t1) · dashed: down (t4 − t3)',
      describe: function (u, i) { return at(u, i) + perClient(u, i, [['↑ up', '↑', fmtMs], ['↓ down', '↓', fmtMs]]); },
    });
  })();

  if (data.transfers) drawTransfers(data.transfers);

  function drawTransfers(t) {
    var el = document.getElementById('chart-transfers');
    var lanes = t.peers;
    var idOf = function (name) { var m = /client_(\\d+)/.exec(name); return m ? Number(m[1]) : null; };
    // Spans arriving at one peer at the same time get their own rows within its lane.
    var rowOf = [], rowsIn = lanes.map(function () { return []; });
    t.spans.map(function (s, i) { return i; })
      .sort(function (a, b) { return t.spans[a].startMs - t.spans[b].startMs; })
      .forEach(function (i) {
        var s = t.spans[i], rows = rowsIn[Math.max(0, lanes.indexOf(s.to))], r = 0;
        while (r < rows.length && rows[r] > s.startMs) r++;
        rows[r] = s.endMs;
        rowOf[i] = r;
      });
    var rowHeight = 16, lanePad = 8, left = 110, right = 20, top = 10;
    var laneTop = [], y = top;
    lanes.forEach(function (_, i) { laneTop.push(y); y += Math.max(1, rowsIn[i].length) * rowHeight + 2 * lanePad; });
    var w = width(el), height = y + 24;
    var end = Math.max.apply(null, [1].concat(t.spans.map(function (s) { return s.endMs; })));
    var px = function (ms) { return left + (ms / end) * (w - left - right); };
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', w);
    svg.setAttribute('height', height);
    svg.setAttribute('role', 'img');
    var add = function (name, attrs, text) {
      var node = document.createElementNS(ns, name);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text != null) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    lanes.forEach(function (peer, i) {
      var bottom = i + 1 < laneTop.length ? laneTop[i + 1] : y;
      add('rect', { x: 0, y: (laneTop[i] + bottom) / 2 - 5, width: 10, height: 10, fill: t.colors[peer], 'class': 'lane-swatch', 'data-client': idOf(peer) });
      add('text', { x: 14, y: (laneTop[i] + bottom) / 2 + 4, 'font-size': 12 }, peer + ' ←');
      add('line', { x1: left, x2: w - right, y1: bottom, y2: bottom, stroke: '#ddd' });
    });
    t.spans.forEach(function (s, i) {
      var lane = Math.max(0, lanes.indexOf(s.to));
      var rect = add('rect', {
        x: px(s.startMs), y: laneTop[lane] + lanePad + rowOf[i] * rowHeight + 1, height: rowHeight - 2,
        width: Math.max(2, px(s.endMs) - px(s.startMs)), fill: t.colors[s.file], 'fill-opacity': 0.85,
        'class': 'span', 'data-client': idOf(s.file),
      });
      var title = document.createElementNS(ns, 'title');
      title.textContent = s.file + ' → ' + s.to + ' from ' + s.from.join(', ') + ': ' + fmtBytes(s.bytes) +
        (s.chunks != null ? ', ' + s.chunks + ' chunks' : '') + ', ' + fmtMs(s.startMs) + ' – ' + fmtMs(s.endMs);
      rect.appendChild(title);
    });
    for (var k = 0; k <= 5; k++) {
      var ms = (end * k) / 5;
      add('text', { x: px(ms), y: height - 8, 'font-size': 11, 'text-anchor': 'middle' }, fmtMs(ms));
    }
    el.appendChild(svg);
    var note = document.createElement('p');
    note.className = 'legend';
    note.textContent = 'Bar colour: whose file it is (the same colour as that client everywhere in this report). Lane: the peer that received it.';
    el.appendChild(note);
    el.dataset.drawn = 'true';
    var spanSeries = t.spans.map(function (s) { return { client: idOf(s.file), color: t.colors[s.file] }; })
      .concat(lanes.map(function (p) { return { client: idOf(p), color: t.colors[p] }; }));
    report.charts.push({ id: 'chart-transfers', points: t.spans.length, kind: 'svg', series: spanSeries });

    // Bytes each peer has received and verified, over time.
    var tables = lanes.map(function (peer) {
      var mine = t.spans.filter(function (s) { return s.to === peer; }).sort(function (a, b) { return a.endMs - b.endMs; });
      var xs = [0], ys = [0], total = 0;
      mine.forEach(function (s) { total += s.bytes; xs.push(s.endMs); ys.push(total); });
      return [xs, ys];
    });
    plot('chart-transfer-bytes', {
      title: 'Bytes received and verified per peer',
      scales: { x: { time: false } },
      axes: [{ label: 'time since the exchange started', values: msTicks }, { label: 'received', size: 80, values: function (u, s) { return s.map(fmtBytes); } }],
      series: [{}].concat(lanes.map(function (peer) {
        return { label: peer, client: idOf(peer), stroke: t.colors[peer], width: 2, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) };
      })),
      height: 240,
    }, uPlot.join(tables), {
      describe: function (u, i) { return fmtMs(u.data[0][i]) + ': ' + lanes.map(function (p, k) { var v = u.data[k + 1][i]; return v == null ? null : p + ' ' + fmtBytes(v); }).filter(Boolean).join(' · '); },
    });
  }
`;
