import type { Ns, TimelineEvent } from './types.ts';

/**
 * When the last fault of a timeline heals: a crash heals at the server's next restart, a
 * partition or link-down at its end (`duration`) or at the next heal/link-up of that link, a hang
 * at its end or the server's next restart, timed disk/slow/corruption faults at their end. Faults that do
 * not stop requests from completing (set-link, malformed replies, EIO ranges) heal at once.
 * Returns undefined when some fault never heals, 0 when there are no faults.
 */
export function lastHealTime(timeline: readonly TimelineEvent[]): Ns | undefined {
  let last = 0;
  for (let i = 0; i < timeline.length; i++) {
    const e = timeline[i]!;
    let healed: Ns | undefined;
    switch (e.action) {
      case 'crash':
        healed = nextTime(timeline, i, (n) => n.action === 'restart' && n.server === e.server);
        break;
      case 'hang':
        healed = e.durationNs !== undefined ? e.atNs + e.durationNs : nextTime(timeline, i, (n) => n.action === 'restart' && n.server === e.server);
        break;
      case 'partition':
        healed = e.durationNs !== undefined ? e.atNs + e.durationNs : nextTime(timeline, i, (n) => n.action === 'heal' && n.link === e.link);
        break;
      case 'link-down':
        healed = e.durationNs !== undefined ? e.atNs + e.durationNs : nextTime(timeline, i, (n) => n.action === 'link-up' && n.link === e.link);
        break;
      case 'disk-eio':
      case 'slow':
      case 'nic-dma-corrupt':
      case 'dma-error':
      case 'mem-bitflip':
        healed = e.atNs + (e.durationNs ?? 0);
        break;
      case 'set-link':
      case 'malformed':
      case 'volume-power-loss':
      case 're-export':
      case 'heal':
      case 'link-up':
      case 'restart':
        healed = e.atNs;
        break;
      case 'mgmt':
        continue;
    }
    if (healed === undefined) return undefined;
    if (healed > last) last = healed;
  }
  return last;
}

function nextTime(timeline: readonly TimelineEvent[], from: number, match: (e: TimelineEvent) => boolean): Ns | undefined {
  for (let j = from + 1; j < timeline.length; j++) if (match(timeline[j]!)) return timeline[j]!.atNs;
  return undefined;
}
