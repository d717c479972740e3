/**
 * The report page's own script, run in the browser after uPlot (inlined before it). Plain
 * ES2020 kept as text, not compiled from TypeScript, so no build step or helper can leak
 * into it. It reads the JSON in `#report-data`, draws each chart, and records what it drew
 * in `window.timeswarmReport` (`charts: [{ id, points }]`, `errors`), which the browser
 * test reads.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var report = (window.timeswarmReport = { charts: [], errors: [], ready: false });
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var color = function (i) { return palette[i % palette.length]; };
  var fade = function (hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  };
  var width = function (el) { return Math.max(480, Math.min(1400, el.clientWidth || 960)); };
  var count = function (columns) {
    var n = 0;
    for (var s = 1; s < columns.length; s++) for (var i = 0; i < columns[s].length; i++) if (columns[s][i] != null) n++;
    return n;
  };

  function plot(id, options, aligned) {
    var el = document.getElementById(id);
    try {
      options.width = width(el);
      options.height = options.height || 320;
      options.hooks = options.hooks || {};
      var points = count(aligned);
      options.hooks.draw = [function () { el.dataset.drawn = 'true'; }];
      var chart = new uPlot(options, aligned, el);
      report.charts.push({ id: id, points: points, kind: 'uplot' });
      window.addEventListener('resize', function () { chart.setSize({ width: width(el), height: options.height }); });
      return chart;
    } catch (error) {
      report.errors.push(id + ': ' + error.message);
      throw error;
    }
  }

  var seconds = { label: 'seconds since the first tick', values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(t < 10 ? 1 : 0); }); } };
  var base = function (title, yLabel) {
    return {
      title: title,
      scales: { x: { time: false } },
      axes: [seconds, { label: yLabel, size: 60 }],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
    };
  };

  // RTT over time: one line per client on a shared time axis.
  var rttTables = data.rtt.map(function (s) { return [s.t, s.v]; });
  var rttOptions = base('Round-trip time over time', 'RTT (ms)');
  rttOptions.scales.y = { range: [0, data.rttYMax] };
  rttOptions.series = [{ label: 's' }].concat(data.clients.map(function (c, i) {
    return { label: c.label, stroke: color(i), width: 1, spanGaps: true, points: { show: false } };
  }));
  plot('chart-rtt', rttOptions, uPlot.join(rttTables));

  // Offset over time: every exchange as a dot, the minimum-delay filter as a line.
  var offsetTables = [];
  var offsetSeries = [{ label: 's' }];
  data.offset.forEach(function (s, i) {
    offsetTables.push([s.raw.t, s.raw.v]);
    offsetSeries.push({ label: data.clients[i].label + ' θ', stroke: fade(color(i), 0.35), width: 0, paths: function () { return null; }, points: { show: true, size: 3, fill: fade(color(i), 0.35), stroke: fade(color(i), 0.35) } });
  });
  data.offset.forEach(function (s, i) {
    offsetTables.push([s.filtered.t, s.filtered.v]);
    offsetSeries.push({ label: data.clients[i].label + ' filtered', stroke: color(i), width: 2, spanGaps: true, points: { show: false } });
  });
  var offsetOptions = base('Clock offset θ over time (server minus client)', 'θ (ms)');
  offsetOptions.scales.y = { range: data.offsetYRange };
  offsetOptions.series = offsetSeries;
  plot('chart-offset', offsetOptions, uPlot.join(offsetTables));

  // RTT histogram: shared bins, one stepped outline per client.
  var h = data.histogram;
  var histOptions = {
    title: 'Round-trip time distribution',
    scales: { x: { time: false, distr: 3 } },
    axes: [{ label: 'RTT (ms), log scale, ' + h.binsPerDecade + ' bins per decade' }, { label: 'exchanges', size: 60 }],
    series: [{ label: 'RTT ms' }].concat(data.clients.map(function (c, i) {
      return { label: c.label, stroke: color(i), fill: fade(color(i), 0.15), width: 1.5, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } };
    })),
  };
  plot('chart-histogram', histOptions, [h.edges.slice(0, -1)].concat(h.counts));

  // Transfer timeline (Part III), when the run had one.
  if (data.transfers) drawTransfers(data.transfers);

  function drawTransfers(t) {
    var el = document.getElementById('chart-transfers');
    var lanes = t.peers;
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
    var x = function (ms) { return left + (ms / end) * (w - left - right); };
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
      add('text', { x: 4, y: (laneTop[i] + bottom) / 2 + 4, 'font-size': 12 }, peer + ' ←');
      add('line', { x1: left, x2: w - right, y1: bottom, y2: bottom, stroke: '#ddd' });
    });
    var files = [];
    t.spans.forEach(function (s) { if (files.indexOf(s.file) < 0) files.push(s.file); });
    t.spans.forEach(function (s, i) {
      var lane = Math.max(0, lanes.indexOf(s.to));
      var rect = add('rect', {
        x: x(s.startMs), y: laneTop[lane] + lanePad + rowOf[i] * rowHeight + 1, height: rowHeight - 2,
        width: Math.max(2, x(s.endMs) - x(s.startMs)), fill: color(files.indexOf(s.file)), 'fill-opacity': 0.8,
        'class': 'span',
      });
      var title = document.createElementNS(ns, 'title');
      title.textContent = s.file + ' → ' + s.to + ' from ' + s.from.join(', ') + ': ' + s.bytes + ' bytes' +
        (s.chunks != null ? ', ' + s.chunks + ' chunks' : '') + ', ' + s.startMs.toFixed(0) + '–' + s.endMs.toFixed(0) + ' ms';
      rect.appendChild(title);
    });
    for (var k = 0; k <= 5; k++) {
      var ms = (end * k) / 5;
      add('text', { x: x(ms), y: height - 8, 'font-size': 11, 'text-anchor': 'middle' }, ms.toFixed(0) + ' ms');
    }
    el.appendChild(svg);
    var legend = document.createElement('p');
    legend.className = 'legend';
    legend.innerHTML = files.map(function (f, i) {
      return '<span style="color:' + color(i) + '">■</span> ' + f.replace(/[&<>]/g, '');
    }).join(' &nbsp; ');
    el.appendChild(legend);
    el.dataset.drawn = 'true';
    report.charts.push({ id: 'chart-transfers', points: t.spans.length, kind: 'svg' });

    // Bytes each peer has received and verified, over time.
    var tables = lanes.map(function (peer) {
      var mine = t.spans.filter(function (s) { return s.to === peer; }).sort(function (a, b) { return a.endMs - b.endMs; });
      var xs = [0], ys = [0], total = 0;
      mine.forEach(function (s) { total += s.bytes; xs.push(s.endMs); ys.push(total); });
      return [xs, ys];
    });
    var bytesOptions = {
      title: 'Bytes received and verified per peer',
      scales: { x: { time: false } },
      axes: [{ label: 'ms since the exchange started' }, { label: 'bytes', size: 80 }],
      series: [{ label: 'ms' }].concat(lanes.map(function (peer, i) {
        return { label: peer, stroke: color(i), width: 2, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) };
      })),
      height: 260,
    };
    plot('chart-transfer-bytes', bytesOptions, uPlot.join(tables));
  }

  report.ready = true;
})();
`;
