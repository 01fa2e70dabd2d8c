/**
 * Test helper only: a point-to-point wire between two NetDevices on the engine, with
 * serialisation at a line rate, propagation delay and seeded impairments. It splits offload
 * packets into MSS frames (as a NIC would) so impairments hit single frames.
 */
import type { Engine, Rng } from '../../../../hw-sim/engine/index.ts';
import { serialisationNs } from '../../../../hw-sim/engine/index.ts';
import { frameCount, wireBytes, TCP_FIN, TCP_PSH, type Packet } from '../../../../hw-sim/net/packet.ts';
import type { NetDevice, NetInterface } from '../../../../kernel/net/index.ts';

export interface PipeConfig {
  rateBps: number;
  delayNs: number;
  mtu?: number;
  gsoMaxBytes?: number;
  loss?: number;
  dup?: number;
  /** Probability a frame is held back by reorderDelayNs (so later frames overtake it). */
  reorder?: number;
  reorderDelayNs?: number;
  corrupt?: number;
}

export type Tap = (from: string, p: Packet, t: number) => void;

export class PipeEnd implements NetDevice {
  iface: NetInterface | null = null;
  peer!: PipeEnd;
  busyUntil = 0;
  /** When false every frame is dropped (a dead peer or cut cable). */
  up = true;
  /** Per-frame hook: return false to drop this frame (targeted losses in tests). */
  filter: ((f: Packet) => boolean) | null = null;
  framesSent = 0;
  readonly mtu: number;
  readonly gsoMaxBytes: number;

  constructor(
    readonly name: string,
    private readonly engine: Engine,
    public cfg: PipeConfig,
    private readonly rng: Rng,
    private readonly tap: Tap | undefined,
  ) {
    this.mtu = cfg.mtu ?? 1500;
    this.gsoMaxBytes = cfg.gsoMaxBytes ?? 65536;
  }

  xmit(p: Packet): boolean {
    const n = frameCount(p);
    for (let i = 0; i < n; i++) this.sendFrame(n === 1 ? p : frameOf(p, i, n));
    return true;
  }

  private sendFrame(f: Packet): void {
    const e = this.engine;
    const start = Math.max(e.now, this.busyUntil);
    this.busyUntil = start + serialisationNs(wireBytes(f), this.cfg.rateBps);
    this.framesSent++;
    if (this.tap) this.tap(this.name, f, start);
    const c = this.cfg;
    if (!this.up || !this.peer.up) return;
    if (this.filter && !this.filter(f)) return;
    if (c.loss && this.rng.chance(c.loss)) return;
    const copies = c.dup && this.rng.chance(c.dup) ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      let g = f;
      if (c.corrupt && this.rng.chance(c.corrupt)) g = { ...f, corrupt: true };
      let at = this.busyUntil + c.delayNs;
      if (c.reorder && this.rng.chance(c.reorder)) at += c.reorderDelayNs ?? 5 * c.delayNs;
      e.scheduleAt(at, () => this.peer.iface?.receive(g), 'pipe.deliver');
    }
  }
}

function frameOf(p: Packet, i: number, n: number): Packet {
  const g = p.gsoSize;
  const h = p.tcp!;
  const last = i === n - 1;
  const flags = last ? h.flags : h.flags & ~(TCP_FIN | TCP_PSH);
  return {
    ...p,
    tcp: { ...h, seq: (h.seq + i * g) | 0, flags },
    payload: p.payload.subarray(i * g, Math.min((i + 1) * g, p.payload.length)),
    gsoSize: 0,
  };
}

export function makePipe(engine: Engine, cfg: PipeConfig, tap?: Tap): { a: PipeEnd; b: PipeEnd } {
  const a = new PipeEnd('a', engine, cfg, engine.rng.get('test/pipe/a'), tap);
  const b = new PipeEnd('b', engine, cfg, engine.rng.get('test/pipe/b'), tap);
  a.peer = b;
  b.peer = a;
  return { a, b };
}
