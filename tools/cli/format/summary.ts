import type { SafetyViolation } from '../../../scenarios/checkers/safety.ts';
import type { RunResult } from '../../../scenarios/runner/types.ts';
import type { LatencyOp, Percentile } from '../../../scenarios/schema/types.ts';
import { renderTable } from './table.ts';
import { formatByteRate, formatBytes, formatCount, formatNs, formatValue } from './units.ts';

const OPS: readonly LatencyOp[] = ['read', 'write', 'flush', 'trim'];
const PCTS: readonly Percentile[] = ['p50', 'p99', 'p99.9'];

/** The `run` summary: jobs, expectations (actual vs limit), faults applied, digest, verdict. */
export function renderSummary(r: RunResult, replay: string): string {
  let out = `scenario ${r.scenario}  seed ${r.seed}  virtual time ${formatNs(r.virtualTimeNs)}  events ${r.events}\n`;
  out += `digest ${r.digest}\n`;
  if (r.jobs.length > 0) {
    const ops = OPS.filter((op) => r.jobs.some((j) => j.latency[op] !== undefined));
    // I/Os as IOPS counts them (reads, writes, trims); flushes move no data and have their own column.
    // Bandwidth is bytes per second, as the spec states throughput.
    // With jobs on several devices, each row says which.
    const perDevice = new Set(r.jobs.map((j) => j.device)).size > 1;
    const cols = ['job', ...(perDevice ? ['device'] : []), 'I/Os', 'flushes', 'errors', 'IOPS', 'bandwidth', ...ops.flatMap((op) => PCTS.map((p) => `${op} ${p}`))];
    const rows = r.jobs.map((j) => [
      j.name, ...(perDevice ? [j.device ?? null] : []), j.ios, j.flushes ?? 0, j.errors, formatCount(j.iops), formatByteRate(j.bandwidthBytesPerSec),
      ...ops.flatMap((op) => PCTS.map((p) => {
        const v = j.latency[op]?.percentiles[p];
        return v === undefined ? null : formatNs(v);
      })),
    ]);
    out += `\njobs\n${renderTable(cols, rows)}`;
  }
  out += devicesSection(r);
  if (r.failovers && r.failovers.length > 0) {
    out += `\nfailover (first failed request → I/O flowing again)\n${renderTable(['device', 'time'], r.failovers.map((f) => [f.device, formatNs(f.ns)]))}`;
  }
  if (r.expectations.length > 0) {
    const rows = r.expectations.map((e) => [e.ok ? 'ok' : 'FAIL', e.name, formatValue(e.actual, e.unit), formatValue(e.limit, e.unit)]);
    out += `\nexpectations\n${renderTable(['', 'name', 'actual', 'limit'], rows)}`;
  }
  if (r.faults.length > 0) {
    out += `\nfaults applied\n${renderTable(['at', 'fault'], r.faults.map((f) => [formatNs(f.atNs), f.description]))}`;
  }
  for (const m of r.mgmt) {
    out += `\n${m.command.join(' ')} at ${formatNs(m.atNs)}\n${m.table ? renderTable(m.table.columns, m.table.rows) : `  ${JSON.stringify(m.data)}\n`}`;
  }
  // One unit for safety everywhere: blocks (the expectation's count); a line covers a run of adjacent ones.
  const violations = [...groupBlocks(r.safetyViolations).map((m) => `safety: ${m}`), ...r.livenessViolations.map((v) => `liveness: ${v.message}`)];
  if (violations.length > 0) {
    const counts = [
      r.safetyViolations.length > 0 ? `safety: ${formatValue(r.safetyViolations.length, 'blocks')}` : '',
      r.livenessViolations.length > 0 ? `liveness: ${r.livenessViolations.length} ${r.livenessViolations.length === 1 ? 'request' : 'requests'}` : '',
    ].filter((x) => x !== '').join(', ');
    const shown = violations.slice(0, 10).map((v) => `  ${v}\n`).join('');
    out += `\nviolations (${counts})\n${shown}${violations.length > 10 ? `  … ${violations.length - 10} more lines (use --json)\n` : ''}`;
  }
  out += `\n${r.passed ? 'PASSED' : 'FAILED'}\n`;
  if (!r.passed) out += `replay: ${replay}\n`;
  return out;
}

/** Every NBD device's final state and servers, then the client cache of each device that has one. */
function devicesSection(r: RunResult): string {
  let out = '';
  const devices = r.devices ?? [];
  if (devices.length > 0) {
    const rows = devices.map((d) => {
      const jobs = r.jobs.filter((j) => j.device === d.name);
      return [d.name, d.state, d.servers.join(', '), jobs.length, jobs.reduce((n, j) => n + j.ios, 0), jobs.reduce((n, j) => n + j.errors, 0), d.reason ?? null];
    });
    out += `\ndevices\n${renderTable(['device', 'state', 'servers', 'jobs', 'I/Os', 'errors', 'failure'], rows)}`;
  }
  const caches = devices.flatMap((d) => (d.cache ? [[d.name, d.cache] as const] : []));
  if (caches.length > 0) {
    const cols = ['device', 'mode', 'hits', 'misses', 'hit ratio', 'read-ahead hits', 'evictions', 'absorbed writes', 'written back', 'hit p50', 'hit p99'];
    const rows = caches.map(([name, c]) => [name, c.mode, c.hits, c.misses, c.hitRatio.toFixed(3), c.readAheadHits, c.evictions, c.absorbedWrites, formatBytes(c.writeBackBytes),
      c.hits > 0 ? formatNs(c.hitLatency.p50) : null, c.hits > 0 ? formatNs(c.hitLatency.p99) : null]);
    out += `\ncache\n${renderTable(cols, rows)}`;
  }
  return out;
}

/**
 * One line per run of adjacent blocks that went wrong the same way (one multi-block read usually
 * fails on all its blocks at once): "blocks 600-607: read #465 ...".
 */
export function groupBlocks(vs: readonly SafetyViolation[]): string[] {
  const out: string[] = [];
  let first = -1;
  let last = -1;
  let rest = '';
  const flush = () => {
    if (first >= 0) out.push(first === last ? `block ${first}: ${rest}` : `blocks ${first}-${last}: ${rest}`);
  };
  for (const v of vs) {
    const r = v.message.replace(/^block \d+: /, '');
    if (first >= 0 && r === rest && v.block === last + 1) {
      last = v.block;
      continue;
    }
    flush();
    first = last = v.block;
    rest = r;
  }
  flush();
  return out;
}

/** The `--json` object: the documented contract plus faults, violations and the replay line. */
export function runJson(r: RunResult, replay: string): Record<string, unknown> {
  return {
    scenario: r.scenario,
    seed: r.seed,
    digest: r.digest,
    virtualTimeNs: r.virtualTimeNs,
    events: r.events,
    passed: r.passed,
    expectations: r.expectations.map((e) => ({ name: e.name, ok: e.ok, actual: e.actual, limit: e.limit })),
    jobs: r.jobs,
    devices: r.devices ?? [],
    failovers: r.failovers ?? [],
    faults: r.faults,
    violations: { safety: r.safetyViolations, liveness: r.livenessViolations },
    mgmt: r.mgmt,
    replay: r.passed ? undefined : replay,
  };
}
