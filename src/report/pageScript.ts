import { PAGE_CHARTS } from './pageCharts';

/**
 * The report page's own script, run in the browser after uPlot (inlined before it). Plain
 * ES2020 kept as text, not compiled from TypeScript, so no build step or helper can leak
 * into it. This part holds the helpers (units, legends, readouts, zoom sync, raw points);
 * pageCharts.ts draws the charts with them. It records what it drew in
 * `window.timeswarmReport` (`charts: [{ id, points, series: [{ client, color }] }]`,
 * `errors`, `renderMs`, `zoom(min, max)`), which the browser test reads.
 */
const PAGE_HELPERS = `
  'use strict';
  performance.mark('timeswarm-report-start');
  var report = (window.timeswarmReport = { charts: [], errors: [], ready: false, renderMs: null, rawDrawn: 0, plots: {} });
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var clients = data.clients;
  var RAW_MAX = 20000;

  var fade = function (hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  };
  var width = function (el) { return Math.max(420, Math.min(1368, el.clientWidth || 960)); };
  var trim = function (v, d) { return String(Number(v.toFixed(d))); };

  // Units for people: µs under a millisecond, ms under a second, s above; kB/MB for bytes.
  function fmtMs(v) {
    if (v == null || !isFinite(v)) return '';
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a < 1) return trim(v * 1000, a < 0.01 ? 1 : 0) + ' µs';
    if (a < 1000) return trim(v, a < 10 ? 2 : a < 100 ? 1 : 0) + ' ms';
    return trim(v / 1000, 2) + ' s';
  }
  function fmtBytes(v) {
    var units = ['B', 'kB', 'MB', 'GB'], u = 0;
    while (Math.abs(v) >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return trim(v, u === 0 ? 0 : Math.abs(v) < 10 ? 2 : 1) + ' ' + units[u];
  }
  function fmtClock(s) {
    var sign = s < 0 ? '-' : '';
    s = Math.abs(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var ss = (sec < 10 ? '0' : '') + trim(sec, 1);
    return sign + (h > 0 ? h + ':' + (m < 10 ? '0' : '') + m : String(m)) + ':' + ss;
  }
  // Linear axes: one unit for the whole axis, decimals from the tick step.
  function msTicks(u, splits) {
    var max = 0;
    splits.forEach(function (v) { max = Math.max(max, Math.abs(v)); });
    var unit = max < 1 ? ['µs', 1000] : max < 1000 ? ['ms', 1] : ['s', 0.001];
    var step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) * unit[1] : 1;
    var d = Math.max(0, Math.min(4, -Math.floor(Math.log10(step || 1) + 1e-9)));
    return splits.map(function (v) { return trim(v * unit[1], d) + ' ' + unit[0]; });
  }
  function logMsTicks(u, splits) { return splits.map(fmtMs); }
  // Short runs read in seconds, long ones as m:ss (h:mm:ss past an hour).
  var clockAxis = data.spanS >= 120;
  var timeAxis = {
    label: 'time since the first tick' + (clockAxis ? ' (m:ss)' : ''),
    incrs: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
    values: function (u, splits) { return splits.map(function (s) { return clockAxis ? fmtClock(s) : trim(s, 2) + ' s'; }); },
  };

  // Cursor and zoom shared by every chart on the time axis.
  var timePlots = [];
  var syncing = false;
  function syncX(u, key) {
    if (key !== 'x' || syncing) return;
    syncing = true;
    timePlots.forEach(function (o) {
      if (o !== u) o.setScale('x', { min: u.scales.x.min, max: u.scales.x.max });
    });
    syncing = false;
  }

  // A static legend (colour per client, line styles) and a readout under the cursor: no
  // "client 1: --" on a page nobody is hovering.
  function legend(el, u, key) {
    var box = document.createElement('div');
    box.className = 'legend';
    clients.forEach(function (c) {
      var item = document.createElement('button');
      item.type = 'button';
      item.className = 'client-toggle';
      item.dataset.client = c.id;
      item.innerHTML = '<span class="swatch" style="background:' + c.color + '"></span>' + c.label;
      item.addEventListener('click', function () {
        var off = item.classList.toggle('off');
        u.series.forEach(function (s, i) { if (s.client === c.id) u.setSeries(i, { show: !off }); });
        u.redraw();
      });
      box.appendChild(item);
    });
    if (key) {
      var k = document.createElement('span');
      k.className = 'key';
      k.textContent = key;
      box.appendChild(k);
    }
    el.appendChild(box);
  }
  function readout(el, hint, describe) {
    var line = document.createElement('div');
    line.className = 'readout';
    line.textContent = hint;
    el.appendChild(line);
    return function (u) {
      var i = u.cursor.idx;
      line.textContent = i == null ? hint : describe(u, i);
    };
  }

  report.timings = {};
  function plot(id, options, aligned, extra) {
    var el = document.getElementById(id);
    var began = performance.now();
    try {
      extra = extra || {};
      options.width = width(el);
      options.height = options.height || 300;
      options.legend = { show: false };
      options.hooks = options.hooks || {};
      options.hooks.draw = (options.hooks.draw || []).concat([function () { el.dataset.drawn = 'true'; }]);
      if (extra.time) {
        options.cursor = options.cursor || {};
        options.cursor.sync = { key: 'timeswarm-time' };
        options.cursor.drag = { x: true, y: false };
        options.hooks.setScale = [syncX];
      }
      var update = extra.describe ? readout(el, extra.hint || 'Hover for values; drag to zoom, double-click to reset.', extra.describe) : null;
      if (update) options.hooks.setCursor = [update];
      var points = 0;
      for (var s = 1; s < aligned.length; s++) for (var i = 0; i < aligned[s].length; i++) if (aligned[s][i] != null) points++;
      var u = new uPlot(options, aligned, el);
      if (update) el.appendChild(el.querySelector('.readout'));
      legend(el, u, extra.key);
      if (extra.time) timePlots.push(u);
      var series = [];
      u.series.forEach(function (s, i) {
        if (s.client == null || s.stroke == null) return;
        series.push({ client: s.client, color: typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke });
      });
      report.charts.push({ id: id, points: points, kind: 'uplot', series: series });
      report.plots[id] = u;
      report.timings[id] = Math.round(performance.now() - began);
      window.addEventListener('resize', function () { u.setSize({ width: width(el), height: options.height }); });
      return u;
    } catch (error) {
      report.errors.push(id + ': ' + error.message);
      throw error;
    }
  }

  // Series helpers: every series knows its client, so legends and tests can find them.
  function line(c, label, opts) {
    var s = { label: c.label + ' ' + label, client: c.id, stroke: c.color, width: 1.5, spanGaps: false, points: { show: false } };
    for (var k in opts || {}) s[k] = opts[k];
    return s;
  }
  function hidden(c, label) {
    return { label: c.label + ' ' + label, client: c.id, stroke: 'transparent', width: 0, points: { show: false } };
  }

  // Raw exchanges: in their own element after this script (so they do not delay the first
  // drawing), decoded on the first zoom that needs them. LEB128 varints, zigzag, t as deltas.
  var rawCache = null;
  function unvarint(b64, deltas) {
    var bin = atob(b64), out = new Float64Array(bin.length), n = 0, v = 0, mul = 1, prev = 0;
    for (var i = 0; i < bin.length; i++) {
      var byte = bin.charCodeAt(i);
      v += (byte & 0x7f) * mul;
      if (byte & 0x80) { mul *= 128; continue; }
      var d = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      prev = deltas ? prev + d : d;
      out[n++] = prev;
      v = 0; mul = 1;
    }
    return out.subarray(0, n);
  }
  function rawData() {
    if (rawCache) return rawCache;
    var el = document.getElementById('report-raw');
    if (!el) return null;
    rawCache = JSON.parse(el.textContent).map(function (r) {
      return { t: unvarint(r.t, true), rtt: unvarint(r.rtt, false), theta: unvarint(r.theta, false) };
    });
    return rawCache;
  }
  function lowerBound(arr, v) {
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  }
  // Draws every exchange in view as a dot, when few enough are in view to be seen one by one.
  function rawDots(field, status) {
    return function (u) {
      report.rawDrawn = 0;
      if (!data.rawEmbedded) { status.textContent = 'Every exchange: not embedded (' + data.rawPoints.toLocaleString('en-US') + ' exchanges, over the page\\'s budget of ' + data.rawBudget.toLocaleString('en-US') + '); the bands summarise them.'; return; }
      var min = u.scales.x.min, max = u.scales.x.max;
      var inView = data.rawPoints * ((max - min) / Math.max(data.spanS, 1e-9));
      if (inView > RAW_MAX * 1.5) { status.textContent = 'Drag across a shorter span (under ~' + fmtClock(data.spanS * RAW_MAX / data.rawPoints) + ') to see every exchange as a dot.'; return; }
      var raw = rawData(), ranges = [], total = 0;
      if (!raw) { status.textContent = 'Every exchange: still loading.'; return; }
      clients.forEach(function (c, k) {
        var shown = u.series.some(function (s) { return s.client === c.id && s.show; });
        var lo = lowerBound(raw[k].t, min * 1e5), hi = lowerBound(raw[k].t, max * 1e5 + 1);
        ranges.push(shown ? [lo, hi] : [0, 0]);
        total += shown ? hi - lo : 0;
      });
      if (total > RAW_MAX) { status.textContent = total.toLocaleString('en-US') + ' exchanges in view: zoom in further to see each one.'; return; }
      var ctx = u.ctx, r = Math.max(1.5, devicePixelRatio * 1.5);
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      clients.forEach(function (c, k) {
        ctx.fillStyle = fade(c.color, 0.6);
        var t = raw[k].t, v = raw[k][field];
        for (var i = ranges[k][0]; i < ranges[k][1]; i++) {
          var y = v[i] / 1000;
          if (u.scales.y.distr === 3 && y <= 0) continue;
          ctx.fillRect(u.valToPos(t[i] / 1e5, 'x', true) - r / 2, u.valToPos(y, 'y', true) - r / 2, r, r);
        }
      });
      ctx.restore();
      report.rawDrawn = total;
      status.textContent = total.toLocaleString('en-US') + ' exchanges in view, each drawn as a dot.';
    };
  }
  function statusLine(id) {
    var p = document.createElement('p');
    p.className = 'note raw-status';
    document.getElementById(id).appendChild(p);
    return p;
  }
`;

const PAGE_END = `
  // For tests and for a person at the console: zoom every time chart; no arguments: the whole run.
  report.zoom = function (min, max) {
    if (min == null) { min = data.x[0] - data.windowS / 2; max = data.x[data.x.length - 1] + data.windowS / 2; }
    if (timePlots[0]) timePlots[0].setScale('x', { min: min, max: max });
  };
  // Ready once uPlot has committed its (microtask-deferred) drawing and a frame has passed.
  Promise.resolve().then(function () {
    requestAnimationFrame(function () {
      performance.mark('timeswarm-report-ready');
      report.renderMs = Math.round(performance.now());
      report.scriptMs = Math.round(performance.measure('timeswarm-report', 'timeswarm-report-start', 'timeswarm-report-ready').duration);
      report.ready = true;
    });
  });
`;

export const PAGE_SCRIPT = `(function () {\n${PAGE_HELPERS}\n${PAGE_CHARTS}\n${PAGE_END}\n})();\n`;
