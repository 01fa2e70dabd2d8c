/**
 * `[expect] backup_standby = "SETTLE"`: a backup server (`role = "backup"`) carries I/O only while
 * every primary server is down. Judged on the backups' own wire (the commands their servers
 * received, health-probe-shaped reads left out) against the outages the timeline puts on the
 * primaries: nothing before the first moment every primary is down, nothing from SETTLE after
 * each such outage ends (the driver needs that long to dial a returning primary again) until the
 * next one, and something during one (failover really moved the I/O).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { ExpectationResult } from '../runner/types.ts';
import type { Ns, Scenario, TimelineEvent } from '../schema/types.ts';
import { formatNs } from './units.ts';

type Span = [start: Ns, end: Ns];

/**
 * When `server` is down or may be judged so: crash to restart, hangs, slow spells (the health
 * probe may mark it unhealthy), partitions and link-downs of its cables.
 */
function outagesOf(s: Scenario, server: string): Span[] {
  const cables = new Set(s.links.filter((l) => l.between.includes(server)).map((l) => l.name));
  const tl = s.timeline;
  const next = (from: number, match: (e: TimelineEvent) => boolean): Ns => {
    for (let j = from + 1; j < tl.length; j++) if (match(tl[j]!)) return tl[j]!.atNs;
    return Number.POSITIVE_INFINITY;
  };
  const out: Span[] = [];
  tl.forEach((e, i) => {
    if (e.action === 'crash' && e.server === server) out.push([e.atNs, next(i, (n) => n.action === 'restart' && n.server === server)]);
    else if (e.action === 'slow' && e.server === server) out.push([e.atNs, e.durationNs !== undefined ? e.atNs + e.durationNs : Number.POSITIVE_INFINITY]);
    else if (e.action === 'hang' && e.server === server) {
      out.push([e.atNs, e.durationNs !== undefined ? e.atNs + e.durationNs : next(i, (n) => n.action === 'restart' && n.server === server)]);
    } else if ((e.action === 'partition' || e.action === 'link-down') && cables.has(e.link)) {
      const heal = e.action === 'partition' ? 'heal' : 'link-up';
      out.push([e.atNs, e.durationNs !== undefined ? e.atNs + e.durationNs : next(i, (n) => n.action === heal && 'link' in n && n.link === e.link)]);
    }
  });
  return merge(out);
}

function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function intersect(x: readonly Span[], y: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const [a, b] of x) for (const [c, d] of y) if (Math.max(a, c) < Math.min(b, d)) out.push([Math.max(a, c), Math.min(b, d)]);
  return merge(out);
}

/**
 * The spans in which backups may carry I/O: every primary of the scenario down at once, each
 * extended by `settleNs` after it ends (spans that then touch are one).
 */
export function standbyWindows(s: Scenario, primaries: readonly string[], settleNs: Ns): Span[] {
  if (primaries.length === 0) return [];
  let all = outagesOf(s, primaries[0]!);
  for (const p of primaries.slice(1)) all = intersect(all, outagesOf(s, p));
  return merge(all.map(([a, b]) => [a, b + settleNs]));
}

/** The servers of the scenario's devices by role (a server listed twice counts once, as a primary if it is one anywhere). */
export function serversByRole(s: Scenario): { primaries: string[]; backups: string[] } {
  const primaries = [...new Set(s.nbd.servers.filter((x) => (x.role ?? 'primary') === 'primary').map((x) => x.name))];
  const backups = [...new Set(s.nbd.servers.filter((x) => x.role === 'backup').map((x) => x.name))].filter((n) => !primaries.includes(n));
  return { primaries, backups };
}

/** Samples the backups' I/O count at every window boundary, and judges them at the end. */
export class BackupStandby {
  private readonly windows: Span[];
  /** Count at each window's start and end (undefined: the run ended before it). */
  private readonly atStart: (number | undefined)[];
  private readonly atEnd: (number | undefined)[];

  constructor(engine: Engine, s: Scenario, private readonly settleNs: Ns, private readonly count: () => number) {
    const { primaries } = serversByRole(s);
    this.windows = standbyWindows(s, primaries, settleNs);
    this.atStart = this.windows.map(() => undefined);
    this.atEnd = this.windows.map(() => undefined);
    this.windows.forEach(([a, b], k) => {
      engine.scheduleAt(a, () => { this.atStart[k] = this.count(); }, 'runner.backup_standby');
      if (Number.isFinite(b)) engine.scheduleAt(b, () => { this.atEnd[k] = this.count(); }, 'runner.backup_standby');
    });
  }

  verdict(): ExpectationResult {
    const now = this.count();
    const limit = `backups get I/O only while every primary is down (until ${formatNs(this.settleNs)} after it returns), and get some then`;
    const bad = (actual: string): ExpectationResult => ({ name: 'backup_standby', ok: false, actual, limit });
    let before = 0;
    let beforeFrom = 0;
    let carried = 0;
    for (let k = 0; k <= this.windows.length; k++) {
      const w = this.windows[k];
      const startCount = w ? (this.atStart[k] ?? now) : now;
      if (startCount !== before) {
        const upTo = w ? formatNs(w[0]) : 'the end';
        return bad(`${startCount - before} command(s) reached a backup between ${formatNs(beforeFrom)} and ${upTo}, every primary up`);
      }
      if (!w) break;
      const endCount = Number.isFinite(w[1]) ? (this.atEnd[k] ?? now) : now;
      carried += endCount - startCount;
      before = endCount;
      beforeFrom = w[1];
      if (!Number.isFinite(w[1])) break;
    }
    if (this.windows.length > 0 && carried === 0) return bad(`no command reached a backup while every primary was down (${this.windows.map(([a, b]) => `${formatNs(a)}–${Number.isFinite(b) ? formatNs(b) : 'end'}`).join(', ')})`);
    return { name: 'backup_standby', ok: true, actual: `${carried} commands on backups, all during primary outages`, limit };
  }
}
