import type { Kernel } from '../core/kernel.ts';
import type { StatsProvider, StatsTree, StatValue } from '../core/stats.ts';
import type { TimerDevice } from '../../hw-sim/timer/timer.ts';
import type { NetClock, TimerHandle } from './clock.ts';
import { NetStack, type NetStackOptions } from './stack.ts';

/** memcpy bandwidth of one core for socket-buffer copies (~10 GB/s). */
export const DEFAULT_COPY_BYTES_PER_SECOND = 10_000_000_000;

/** Net stack timers on the host's timer device (kernel time, traced by the device). */
export function kernelNetClock(k: Kernel): NetClock {
  return new KernelNetClock(k.hw.timer, k.timerFired);
}

/** A class rather than closures, as EngineNetClock (clock.ts): now() runs several times a segment. */
class KernelNetClock implements NetClock {
  constructor(
    private readonly dev: TimerDevice,
    readonly fired: () => void,
  ) {}

  now(): number {
    return this.dev.now();
  }

  schedule(delayNs: number, fn: () => void, label: string): TimerHandle {
    return this.dev.arm(delayNs, fn, label);
  }

  cancel(h: TimerHandle): void {
    this.dev.cancel(h as number);
  }
}

/** The stack of one kernel: its timers, its RNG streams, its counters under `net/`. */
export function createKernelNetStack(k: Kernel, opts: Omit<NetStackOptions, 'engine' | 'host' | 'clock' | 'cpu'> & { copyBytesPerSecond?: number } = {}): NetStack {
  const cpu = new CopyCharge(k, opts.copyBytesPerSecond ?? DEFAULT_COPY_BYTES_PER_SECOND);
  const stack = new NetStack({ ...opts, host: k.host, engine: k.engine, clock: kernelNetClock(k), cpu });
  publishNetStats(k.stats, stack);
  return stack;
}

/** Copies are charged to the core the code runs on, paid before its next softirq round. */
class CopyCharge {
  constructor(
    private readonly k: Kernel,
    readonly copyBytesPerSecond: number,
  ) {}

  charge(ns: number): void {
    this.k.softirq.charge(this.k.ctx.cpu, ns);
  }
}

const CONN_LEAVES = ['state', 'cwnd', 'ssthresh', 'srtt_ns', 'rto_ns', 'snd_wnd', 'rcv_wnd', 'in_flight', 'unsent', 'retransmits'] as const;

/**
 * Mounts the stack's counters at `prefix` (`net/tcp/retrans_segs`, ...) and each open
 * connection's state at `net/tcp/conn/<local>><remote>/<leaf>` (cwnd, srtt_ns, ...).
 */
export function publishNetStats(tree: StatsTree, stack: NetStack, prefix = 'net'): void {
  const provider: StatsProvider = {
    list: () => {
      const out = stack.stats.entries().map(([k]) => k);
      for (const s of stack.connections()) for (const leaf of CONN_LEAVES) out.push(`tcp/conn/${s.label}/${leaf}`);
      return out;
    },
    read: (leaf) => {
      if (leaf.startsWith('tcp/conn/')) return connLeaf(stack, leaf.slice(9));
      for (const [k, v] of stack.stats.entries()) if (k === leaf) return v;
      return undefined;
    },
  };
  tree.provider(prefix, provider);
}

function connLeaf(stack: NetStack, rest: string): StatValue | undefined {
  const cut = rest.lastIndexOf('/');
  const label = rest.slice(0, cut);
  const s = stack.connections().find((c) => c.label === label);
  if (!s) return undefined;
  const i = s.info();
  switch (rest.slice(cut + 1)) {
    case 'state': return i.state;
    case 'cwnd': return i.cwnd;
    case 'ssthresh': return i.ssthresh;
    case 'srtt_ns': return Math.round(i.srttNs);
    case 'rto_ns': return i.rtoNs;
    case 'snd_wnd': return i.sndWnd;
    case 'rcv_wnd': return i.rcvWnd;
    case 'in_flight': return i.inFlight;
    case 'unsent': return i.unsent;
    case 'retransmits': return i.retransmits;
    default: return undefined;
  }
}
