/**
 * The report page's own script (runs in the browser, after uPlot): builds each chart from the
 * JSON in #report-data, records in window.reportCharts what it drew (the browser test reads it),
 * and sets window.reportReady.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var d = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  window.reportCharts = charts;
  var W = Math.min(1150, document.body.clientWidth - 20);
  var OP_COLOURS = { read: '#1f77b4', write: '#d62728', flush: '#9467bd', trim: '#8c564b' };
  var MARK_COLOURS = { fault: '#cf222e', heal: '#1a7f37', mgmt: '#888' };

  function note(el, text) {
    var p = document.createElement('p');
    p.className = 'note';
    p.textContent = text;
    el.appendChild(p);
  }

  // The fault timeline on a time chart: a vertical line and a label per mark.
  function drawMarks(u) {
    var ctx = u.ctx;
    ctx.save();
    ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
    d.marks.forEach(function (m, i) {
      var x = u.valToPos(m.atMs, 'x', true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
      ctx.strokeStyle = MARK_COLOURS[m.kind];
      ctx.fillStyle = MARK_COLOURS[m.kind];
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(m.label, x + 3 * devicePixelRatio, u.bbox.top + (12 + 11 * (i % 4)) * devicePixelRatio);
    });
    ctx.restore();
  }

  function plot(id, opts, data) {
    var el = document.getElementById(id);
    var points = 0;
    for (var s = 1; s < data.length; s++) data[s].forEach(function (v) { if (v !== null && v !== undefined) points++; });
    if (points === 0) {
      note(el, 'Nothing to draw: the run had no data for this chart.');
      charts.push({ id: id, points: 0 });
      return;
    }
    opts.width = W;
    opts.height = opts.height || 300;
    new uPlot(opts, data, el);
    charts.push({ id: id, points: points });
  }

  var ops = Object.keys(d.latency.ops);
  var latSeries = [{ label: 'virtual time (ms)' }];
  var latData = [d.latency.tMs];
  ops.forEach(function (op) {
    [['p50', 1.5, []], ['p99', 1, [6, 3]], ['max', 1, [2, 3]]].forEach(function (q) {
      latSeries.push({ label: op + ' ' + q[0] + ' (µs)', stroke: OP_COLOURS[op], width: q[1], dash: q[2], spanGaps: false });
      latData.push(d.latency.ops[op][q[0]]);
    });
  });
  plot('latency', {
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'virtual time (ms)' }, { label: 'latency (µs)' }],
    series: latSeries,
    hooks: { draw: [drawMarks] },
  }, latData);

  var cdfOps = Object.keys(d.cdf.ops);
  plot('cdf', {
    scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
    axes: [{ label: 'latency (µs)' }, { label: 'fraction of requests at or below' }],
    series: [{ label: 'latency (µs)' }].concat(cdfOps.map(function (op) { return { label: op, stroke: OP_COLOURS[op], width: 1.5 }; })),
  }, [d.cdf.us].concat(cdfOps.map(function (op) { return d.cdf.ops[op]; })));

  plot('rate', {
    scales: { x: { time: false }, mbps: {}, iops: {} },
    axes: [{ label: 'virtual time (ms)' }, { scale: 'mbps', label: 'MB/s' }, { scale: 'iops', label: 'IOPS', side: 1, grid: { show: false } }],
    series: [{ label: 'virtual time (ms)' },
      { label: 'throughput (MB/s)', scale: 'mbps', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.1)' },
      { label: 'IOPS', scale: 'iops', stroke: '#ff7f0e' }],
    hooks: { draw: [drawMarks] },
  }, [d.rate.tMs, d.rate.mbps, d.rate.iops]);

  function bars(id, names, series, yLabel) {
    var xs = names.map(function (_, i) { return i; });
    plot(id, {
      height: 220,
      scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: function (u, min, max) { return [0, max * 1.1]; } } },
      axes: [{ values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && names[v] !== undefined ? names[v] : ''; }); } }, { label: yLabel }],
      series: [{ label: 'index' }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.colour, fill: s.colour + '99', paths: uPlot.paths.bars({ size: [0.6 / series.length, 80] }), points: { show: false } };
      })),
    }, [xs].concat(series.map(function (s) { return s.values; })));
  }
  bars('conns', d.conns.map(function (c) { return c.name; }), [
    { label: 'requests', colour: '#1f77b4', values: d.conns.map(function (c) { return c.requests; }) },
  ], 'requests sent');
  bars('servers', d.servers.map(function (s) { return s.name; }), [
    { label: 'requests served', colour: '#2ca02c', values: d.servers.map(function (s) { return s.requests; }) },
  ], 'requests served');

  // State bands: one row per statechart, a coloured span per state, the timeline marks over them.
  (function states() {
    var el = document.getElementById('states');
    if (d.states.length === 0) { note(el, 'No NBD device in this run.'); charts.push({ id: 'states', points: 0 }); return; }
    var palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
    var colour = {};
    var names = [];
    d.states.forEach(function (m) { m.spans.forEach(function (s) { if (!(s.state in colour)) { colour[s.state] = palette[names.length % palette.length]; names.push(s.state); } }); });
    var row = 22, left = 110, top = 4, dpr = window.devicePixelRatio || 1;
    var c = document.createElement('canvas');
    c.width = W * dpr; c.height = (top + row * d.states.length + 20) * dpr;
    c.style.width = W + 'px'; c.style.height = (top + row * d.states.length + 20) + 'px';
    el.appendChild(c);
    var ctx = c.getContext('2d');
    ctx.scale(dpr, dpr);
    var x = function (ms) { return left + (W - left - 10) * (ms / d.endMs); };
    ctx.font = '12px sans-serif';
    var spans = 0;
    d.states.forEach(function (m, i) {
      var y = top + i * row;
      ctx.fillStyle = '#222';
      ctx.fillText(m.machine, 4, y + 15);
      m.spans.forEach(function (s) {
        ctx.fillStyle = colour[s.state];
        ctx.fillRect(x(s.startMs), y + 3, Math.max(1, x(s.endMs) - x(s.startMs)), row - 6);
        spans++;
      });
    });
    d.marks.forEach(function (m) {
      ctx.strokeStyle = MARK_COLOURS[m.kind];
      ctx.beginPath(); ctx.moveTo(x(m.atMs), top); ctx.lineTo(x(m.atMs), top + row * d.states.length); ctx.stroke();
    });
    ctx.fillStyle = '#666';
    ctx.fillText('0 ms', left, top + row * d.states.length + 14);
    ctx.fillText(d.endMs.toFixed(1) + ' ms', W - 70, top + row * d.states.length + 14);
    var legend = document.getElementById('states-legend');
    names.forEach(function (n) {
      var k = document.createElement('span'); k.className = 'legend-key'; k.style.background = colour[n];
      legend.appendChild(k); legend.appendChild(document.createTextNode(n));
    });
    charts.push({ id: 'states', points: spans });
  })();

  window.reportReady = true;
})();
`;
