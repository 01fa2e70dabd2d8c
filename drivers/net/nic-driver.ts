/**
 * The NIC driver: binds one virtual NIC (hw-sim/net/nic.ts) to the kernel's net stack. It owns the
 * rings: posts tx descriptors (one per offload packet: TSO), reaps tx completions, keeps the rx
 * ring stocked with buffers, and receives through NAPI: the rx interrupt masks itself and
 * schedules a poll on the NET_RX softirq; the poll hands up to `budget` packets to the stack and
 * unmasks once a poll comes back short.
 */
import { DEFAULT_CPU_COSTS } from '../../hw-sim/cpu/costs.ts';
import type { Packet } from '../../hw-sim/net/packet.ts';
import type { Nic } from '../../hw-sim/net/nic.ts';
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { Napi } from '../../kernel/core/napi.ts';
import type { NetDevice, NetInterface } from '../../kernel/net/device.ts';
import type { NetStack } from '../../kernel/net/stack.ts';

export interface NicDriverConfig {
  /** Interface address and prefix (the connected route). */
  addr: number | string;
  prefixLen?: number;
  /** The NIC's interrupt lines (as wired by the machine builder). */
  txIrqLine: number;
  rxIrqLine: number;
  /** Core that takes the interrupts and runs the poll. Default 0. */
  cpu?: number;
  /** NAPI weight: packets per poll. Default 64. */
  napiWeight?: number;
  /** Largest segmentation-offload packet; 0 turns TSO off. Default 65536. */
  gsoMaxBytes?: number;
  /** CPU time charged per received / sent packet (protocol processing). Defaults: the cost table's netRxPacketNs / netTxPacketNs. */
  rxPacketCostNs?: number;
  txPacketCostNs?: number;
}

export interface NicDriverStats {
  txPackets: number;
  txRingFull: number;
  txReaped: number;
  rxPackets: number;
  polls: number;
  /** Polls that used their whole budget (stayed scheduled). */
  pollsExhausted: number;
}

export class NicDriver implements NetDevice, Napi {
  readonly name: string;
  readonly mtu: number;
  readonly gsoMaxBytes: number;
  readonly weight: number;
  readonly reportsTxCompletion = true;
  scheduled = false;
  readonly iface: NetInterface;
  readonly stats: NicDriverStats = { txPackets: 0, txRingFull: 0, txReaped: 0, rxPackets: 0, polls: 0, pollsExhausted: 0 };
  private readonly cpu: number;
  private readonly rxBatch: (Packet | null)[] = [];
  private txStopped = false;
  private readonly rxCost: number;
  private readonly txCost: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly nic: Nic,
    stack: NetStack,
    private readonly cfg: NicDriverConfig,
  ) {
    this.name = nic.src.slice(nic.src.lastIndexOf('/') + 1);
    this.mtu = nic.mtu;
    this.gsoMaxBytes = cfg.gsoMaxBytes ?? 65536;
    this.weight = cfg.napiWeight ?? 64;
    this.cpu = cfg.cpu ?? 0;
    this.rxCost = cfg.rxPacketCostNs ?? DEFAULT_CPU_COSTS.netRxPacketNs;
    this.txCost = cfg.txPacketCostNs ?? DEFAULT_CPU_COSTS.netTxPacketNs;
    if (!Number.isInteger(this.weight) || this.weight < 1) throw new RangeError(`${nic.src}: napiWeight must be a positive integer, got ${this.weight}`);
    if (!Number.isInteger(this.gsoMaxBytes) || this.gsoMaxBytes < 0) throw new RangeError(`${nic.src}: gsoMaxBytes must be a non-negative integer, got ${this.gsoMaxBytes}`);
    this.iface = stack.addInterface(this, cfg.addr, cfg.prefixLen ?? 24);
    nic.rxPostBuffers(Number.MAX_SAFE_INTEGER);
    kernel.irq.request(cfg.txIrqLine, `${this.name}-tx`, () => this.reap(), { cpu: this.cpu });
    kernel.irq.request(cfg.rxIrqLine, `${this.name}-rx`, () => this.rxInterrupt(), { cpu: this.cpu });
    const st = this.stats;
    const base = `net/dev/${this.name}`;
    kernel.stats.gauge(`${base}/tx_packets`, () => st.txPackets);
    kernel.stats.gauge(`${base}/tx_ring_full`, () => st.txRingFull);
    kernel.stats.gauge(`${base}/rx_packets`, () => st.rxPackets);
    kernel.stats.gauge(`${base}/napi_polls`, () => st.polls);
    kernel.stats.gauge(`${base}/napi_exhausted`, () => st.pollsExhausted);
    kernel.stats.gauge(`${base}/rx_overruns`, () => nic.stats.rx.overruns);
    kernel.stats.gauge(`${base}/rx_drops`, () => nic.stats.rx.drops);
    kernel.stats.gauge(`${base}/tx_drops`, () => nic.stats.tx.drops);
    kernel.stats.gauge(`${base}/carrier`, () => (nic.carrier ? 1 : 0));
    kernel.log.info(this.name, `up: mtu ${this.mtu}, tso ${this.gsoMaxBytes > 0 ? this.gsoMaxBytes : 'off'}, napi weight ${this.weight}`);
  }

  /** ndo_start_xmit: one descriptor per packet (an offload packet stays one descriptor). */
  xmit(p: Packet): boolean {
    if (!this.nic.txPost(p)) {
      this.stats.txRingFull++;
      this.txStopped = true;
      return false;
    }
    this.stats.txPackets++;
    if (this.txCost > 0) this.kernel.softirq.charge(this.kernel.ctx.cpu, this.txCost);
    this.nic.txDoorbell();
    return true;
  }

  /** NAPI poll, on the NET_RX softirq. */
  poll(budget: number): number {
    this.stats.polls++;
    this.reap();
    const batch = this.rxBatch;
    // Written from index 0 and cleared slot by slot: `length = 0` would free the array's storage every poll.
    const n = this.nic.rxPoll(budget, batch, 0);
    // Refill first: the ring must not run dry while the stack works.
    this.nic.rxPostBuffers(Number.MAX_SAFE_INTEGER);
    if (n > 0 && this.rxCost > 0) this.kernel.softirq.charge(this.cpu, n * this.rxCost);
    for (let i = 0; i < n; i++) {
      const p = batch[i]!;
      batch[i] = null;
      this.iface.receive(p);
    }
    this.stats.rxPackets += n;
    if (n < budget) this.kernel.hw.irq.unmask(this.cfg.rxIrqLine);
    else this.stats.pollsExhausted++;
    return n;
  }

  private rxInterrupt(): void {
    this.kernel.hw.irq.mask(this.cfg.rxIrqLine);
    this.kernel.napi.schedule(this, this.cpu);
  }

  /** Tx completions free ring slots; a stopped queue is woken. */
  private reap(): void {
    const n = this.nic.txReap();
    if (n === 0) return;
    this.stats.txReaped += n;
    this.iface.txComplete(n);
    if (this.txStopped) {
      this.txStopped = false;
      this.iface.wake();
    }
  }
}
