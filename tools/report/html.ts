/**
 * `run --report FILE.html`: one self-contained page (uPlot and its CSS inlined, the data as JSON),
 * so it opens offline and can be mailed or attached to a CI run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from './data.ts';
import { PAGE_SCRIPT } from './page-script.ts';

const require = createRequire(import.meta.url);

function asset(name: string): string {
  return readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Inside <script>: no `</script>` or `<!--` can end it early. */
const scriptSafe = (s: string) => s.replace(/<(?=\/script|!--)/gi, '\\u003c');

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; } .fail { color: #cf222e; font-weight: bold; }
.chart { margin: 8px 0 4px; } .note { color: #666; font-size: 12px; }
.legend-key { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
`;

function table(head: string[], rows: (string | number | null)[][], numeric: boolean[] = []): string {
  const cell = (v: string | number | null, i: number) => `<td${numeric[i] ? ' class="num"' : ''}>${esc(v === null ? '-' : String(v))}</td>`;
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
}

export function reportHtml(d: ReportData): string {
  const exp = d.expectations.length === 0 ? '<p class="note">The scenario states no expectations.</p>'
    : `<table><tr><th></th><th>expectation</th><th>actual</th><th>limit</th></tr>${d.expectations.map((e) =>
      `<tr><td class="${e.ok ? 'ok' : 'fail'}">${e.ok ? 'ok' : 'FAIL'}</td><td>${esc(e.name)}</td><td class="num">${esc(e.actual)}</td><td class="num">${esc(e.limit)}</td></tr>`).join('')}</table>`;
  const conns = table(['connection', 'requests', 'MB', 'p50 µs', 'p99 µs'], d.conns.map((c) => [c.name, c.requests, c.mb, c.p50us, c.p99us]), [false, true, true, true, true]);
  const servers = table(['server', 'requests', 'MB'], d.servers.map((s) => [s.name, s.requests, s.mb]), [false, true, true]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orion Sim: ${esc(d.title)}</title>
<style>${asset('uPlot.min.css')}</style><style>${STYLE}</style></head>
<body>
<h1>Orion Sim run: ${esc(d.title)} <span class="${d.passed ? 'ok' : 'fail'}">${d.passed ? 'PASSED' : 'FAILED'}</span></h1>
${table(['', ''], d.summary.map(([k, v]) => [k, v]))}
<h2>Expectations</h2>${exp}
<h2>Latency over virtual time</h2>
<p class="note">Per operation at the block device, from queueing to completion, in ${d.latency.tMs.length} time bins (p50, p99, max). Vertical lines: the fault timeline (red: a fault, green: a heal, grey: a management command).</p>
<div id="latency" class="chart"></div>
<h2>Latency distribution</h2>
<div id="cdf" class="chart"></div>
<h2>Throughput and IOPS over virtual time</h2>
<p class="note">Data moved (reads and writes) and operations per second (reads, writes and trims; flushes are not I/Os).</p>
<div id="rate" class="chart"></div>
<h2>Per connection</h2>
<div id="conns" class="chart"></div>${conns}
<h2>Per server</h2>
<div id="servers" class="chart"></div>${servers}
<h2>Device and connection states</h2>
<div id="states" class="chart"></div><div id="states-legend" class="note"></div>
<script>${scriptSafe(asset('uPlot.iife.min.js'))}</script>
<script id="report-data" type="application/json">${scriptSafe(JSON.stringify(d))}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body></html>
`;
}
