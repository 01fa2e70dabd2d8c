/**
 * The health probe (server_health_check_interval): every interval each server with a usable
 * connection gets a real request on the wire — an NBD_CMD_READ of its first 512 bytes — that must
 * be answered within `server_health_probe_timeout`. Hysteresis: `server_health_down_after`
 * failures in a row (late, error, connection lost, or no usable connection) mark the server
 * unhealthy, `server_health_up_after` successes in a row mark it healthy again. The load balancer
 * sends no new request to an unhealthy server while a healthy one has a usable connection.
 */
import type { Engine } from '../../../hw-sim/engine/index.ts';
import type { ConnectionSlot } from '../managers/connection-slot.ts';
import type { ServerHealth } from '../managers/load-balancer.ts';
import { NBD_CMD_READ } from '../protocol/uapi.ts';
import { NbdCmd, RqState } from '../request.ts';

const PROBE_BYTES = 512;
/** What a probe asks of a connection's session (a UDP one takes only what it can send at once). */
const PROBE_SHAPE = { type: NBD_CMD_READ, offset: 0, length: PROBE_BYTES };

/** One server's probe: the command (one in flight at most) and the verdict's counters. */
export class ProbeCmd extends NbdCmd {
  /** Wire tag (after blk-mq's, the cache's and the mirror's): one for every server's probe, as each goes to its own server's connection. */
  constructor(readonly wireTag: number, readonly probed: number) {
    super(null, -1);
  }
}

interface ServerProbe {
  cmd: ProbeCmd;
  healthy: boolean;
  /** Consecutive failures / successes. */
  failures: number;
  successes: number;
  sentAt: number;
  probes: number;
  failed: number;
  /** Round trip of the last answered probe, ns. */
  lastRttNs: number;
  reason: string;
  /** The probe in flight was already counted as failed (late). */
  lateCounted: boolean;
}

export interface ProbeOptions {
  src: string;
  timeoutNs: number;
  downAfter: number;
  upAfter: number;
  /** The probes' wire tag. */
  tag: number;
}

export interface ProbeHost {
  readonly conns: readonly ConnectionSlot[];
  sendOn(cmd: NbdCmd, slot: ConnectionSlot): void;
  /** A server's verdict changed (or was renewed). */
  verdict(h: ServerHealth): void;
}

export class HealthProber {
  private readonly servers: ServerProbe[] = [];
  private readonly ignoreBug: boolean;

  constructor(private readonly engine: Engine, private readonly o: ProbeOptions, private readonly host: ProbeHost) {
    this.ignoreBug = engine.bugs.has('health-probe-ignored');
  }

  /** Servers marked unhealthy now (the load balancer avoids them while another is usable). */
  unhealthy(server: number): boolean {
    return !this.ignoreBug && this.servers[server]?.healthy === false;
  }

  stateOf(server: number): { healthy: boolean; probes: number; failed: number; lastRttNs: number; reason: string } | undefined {
    return this.servers[server];
  }

  owns(r: NbdCmd): r is ProbeCmd {
    return r instanceof ProbeCmd;
  }

  /** One round: a probe to every server whose previous one is answered; a late one counts as failed. */
  tick(servers: number, removed: (s: number) => boolean): void {
    const now = this.engine.now;
    for (let s = 0; s < servers; s++) {
      const p = (this.servers[s] ??= {
        cmd: new ProbeCmd(this.o.tag, s), healthy: true, failures: 0, successes: 0, sentAt: 0, probes: 0, failed: 0, lastRttNs: 0, reason: '', lateCounted: false,
      });
      if (removed(s)) continue;
      if (p.cmd.state !== RqState.FREE) {
        // Still unanswered past its deadline: a failure on every round until its reply or its connection's loss.
        if (now - p.sentAt >= this.o.timeoutNs) { p.lateCounted = true; this.result(p, false, 'late'); }
        continue;
      }
      const slot = this.connOf(s);
      if (!slot) { this.result(p, false, 'no usable connection'); continue; }
      const c = p.cmd;
      c.type = NBD_CMD_READ; c.flags = 0; c.offset = 0; c.length = PROBE_BYTES;
      c.data = (c.bounce ??= new Uint8Array(PROBE_BYTES));
      c.sends = 0; c.conn = -1; c.retries = 0; c.error = 0; c.epoch = -1; c.postFlush = false;
      c.tQueued = now;
      c.state = RqState.QUEUED;
      p.sentAt = now;
      p.probes++;
      p.lateCounted = false;
      this.host.sendOn(c, slot);
    }
  }

  /** The probe's reply. */
  replied(c: ProbeCmd, errno: number): void {
    c.state = RqState.FREE;
    const p = this.servers[c.probed]!;
    const rtt = this.engine.now - p.sentAt;
    if (p.lateCounted) return; // already counted as a failure
    p.lastRttNs = rtt;
    if (errno !== 0) this.result(p, false, `error ${errno}`);
    else if (rtt > this.o.timeoutNs) this.result(p, false, 'late');
    else this.result(p, true, '');
  }

  /** A connection died: a probe on it failed. */
  connectionLost(slot: ConnectionSlot): void {
    for (const p of this.servers) {
      if (!p || p.cmd.state !== RqState.SENT || p.cmd.conn !== slot.index) continue;
      p.cmd.state = RqState.FREE;
      if (!p.lateCounted) this.result(p, false, 'connection lost');
    }
  }

  private result(p: ServerProbe, ok: boolean, reason: string): void {
    const s = p.cmd.probed;
    if (ok) { p.successes++; p.failures = 0; } else { p.failures++; p.successes = 0; p.failed++; p.reason = reason; }
    const was = p.healthy;
    if (!ok && p.failures >= this.o.downAfter) p.healthy = false;
    if (ok && p.successes >= this.o.upAfter) p.healthy = true;
    if (was !== p.healthy) this.engine.trace.emit(this.o.src, 'nbd.health', { server: s, healthy: p.healthy, reason: ok ? 'probes answered' : reason });
    const live = this.host.conns.filter((c) => c.server === s && c.usable).length;
    this.host.verdict({ server: s, healthy: p.healthy, live, reason: p.healthy ? '' : `probe: ${reason}` });
  }

  /** A usable connection of the server, least outstanding first. */
  private connOf(server: number): ConnectionSlot | null {
    let best: ConnectionSlot | null = null;
    for (const c of this.host.conns) {
      if (c.server !== server || !c.canTake(PROBE_SHAPE)) continue;
      if (!best || c.outstanding < best.outstanding) best = c;
    }
    return best;
  }
}
