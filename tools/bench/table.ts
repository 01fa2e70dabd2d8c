/** Prints rows as an aligned text table (benchmarks print tables, never assert). */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(Number.isInteger(n) ? 0 : 2);
}

/** Runs `fn` repeatedly for at least `minMs` of wall time; returns operations per second. */
export function measure(fn: () => number, minMs = 700): number {
  fn(); // warm-up
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    ops += fn();
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return ops / (elapsed / 1000);
}

/** Totals of one measured loop: how many runs, the summed counters, and the wall seconds. */
export interface Measured {
  runs: number;
  totals: number[];
  seconds: number;
  /** CPU seconds this process spent meanwhile (user + system): wall/CPU shows contention. */
  cpuSeconds: number;
}

/**
 * Like `measure`, for runs that count several things at once (requests, events, bytes): runs
 * `fn` (after one warm-up) until `minMs` of wall time and sums each counter it returns.
 */
export function measureCounts(fn: () => number[], minMs = 700): Measured {
  fn();
  let totals: number[] = [];
  let runs = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    const c = fn();
    if (runs === 0) totals = c.slice();
    else for (let i = 0; i < c.length; i++) totals[i] = (totals[i] ?? 0) + c[i]!;
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const cpu = process.cpuUsage(cpu0);
  return { runs, totals, seconds: elapsed / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Share of one core this process got while measuring: below ~0.9 the wall numbers are contended. */
export function cpuShare(m: Measured): string {
  return `${Math.round((100 * m.cpuSeconds) / m.seconds)} %`;
}

/** Per wall second of counter `i` of a measured loop. */
export function perSecond(m: Measured, i: number): number {
  return (m.totals[i] ?? 0) / m.seconds;
}

/** `measured / goal` as a verdict cell: '1.23× ✓' when at or above the goal, '0.80× ✗' below. */
export function versusGoal(measured: number, goal: number): string {
  const r = measured / goal;
  return `${r.toFixed(2)}× ${r >= 1 ? '✓' : '✗'}`;
}

/** Bytes as B/kB/MB/GB (decimal units, as link rates and nbdcopy report them). */
export function formatBytes(n: number): string {
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}
