import type { NbdConfig, Ns } from '../../drivers/nbd/config/types.ts';
import type { RW_MODES } from './workload.ts';

export type { Ns };

/** Name of the client host ([machine]) in links and the timeline. */
export const CLIENT_HOST = 'client';

export interface MachineSpec {
  readonly cores: number;
  readonly nic: { readonly rxRing: number; readonly txRing: number; readonly rateBps: number | undefined };
  readonly irqCoalescing: { readonly delayNs: Ns; readonly frames: number };
  /** blk-mq scheduler of the client's block devices. */
  readonly ioScheduler: 'none' | 'mq-deadline';
  /** Client submissions of one engine event go through one plug. */
  readonly plug: boolean;
  /** Scale of the I/O path's CPU costs on every host (0: off). */
  readonly cpuCostScale: number;
  /** The client host's TCP settings. */
  readonly tcp: HostTcpSpec;
}

/** A host's TCP settings (`tcp = { ... }` on [machine] and [[server]]). */
export interface HostTcpSpec {
  /** net.ipv4.tcp_autocorking. */
  readonly autocorking: boolean;
}

export type DiskOpName = 'read' | 'write' | 'flush' | 'trim' | 'zero';

export interface EioRange {
  readonly export: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly ops: readonly DiskOpName[];
  readonly rate: number;
  readonly error: 'EIO' | 'ENOSPC';
}

export interface ExportSpec {
  readonly name: string;
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** What the export holds before its first write. */
  readonly prefill: 'zeros' | 'pattern';
  /** Access list (`psk:<identity>` or an address); undefined: everyone. */
  readonly allow: readonly string[] | undefined;
  /** Clients granted read-only access. */
  readonly readOnlyFor: readonly string[] | undefined;
  /** The shared volume served, if any (else the server's own disk). */
  readonly volume: string | undefined;
  /** Backend identity: `volume/NAME` for a shared volume, `SERVER/EXPORT` for a disk of its own. */
  readonly backend: string;
}

/** A shared volume (`[[volume]]`): a dual-ported disk in its own power domain. */
export interface VolumeSpec {
  readonly name: string;
  readonly sizeBytes: number;
  readonly disk: 'ram' | 'nvme' | 'ssd' | 'hdd';
  readonly writeCache: boolean;
  readonly prefill: 'zeros' | 'pattern';
}

export interface ServerSpec {
  readonly name: string;
  readonly address: string | undefined;
  readonly port: number;
  readonly cores: number;
  readonly disk: 'ram' | 'nvme' | 'ssd' | 'hdd';
  readonly writeCache: boolean;
  readonly multiConn: boolean;
  /** Grants the UDP transport (default true). */
  readonly udp?: boolean;
  /** The server host's TCP settings (absent: the defaults). */
  readonly tcp?: HostTcpSpec;
  readonly exports: readonly ExportSpec[];
  readonly tls: { readonly pskHex: string; readonly identity: string; readonly required: boolean } | undefined;
  readonly faults: { readonly eio: readonly EioRange[]; readonly extraLatencyNs: Ns };
}

export interface Impairments {
  readonly rateBps: number;
  readonly delayNs: Ns;
  readonly jitterNs: Ns;
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly corrupt: number;
}

export interface LinkSpec extends Impairments {
  /** How long a reordered frame is held back (default REORDER_DELAY_NS of runner/topology.ts). */
  readonly reorderDelayNs?: Ns;
  /** Given name, or "a<->b" from `between`. */
  readonly name: string;
  readonly between: readonly [string, string];
  readonly mtu: number;
}

export type RwMode = (typeof RW_MODES)[number];

export interface JobSpec {
  readonly name: string;
  readonly device: string;
  readonly rw: RwMode;
  readonly bsBytes: number;
  readonly iodepth: number;
  readonly numjobs: number;
  /** Resolved against the export when the file leaves it out. */
  readonly sizeBytes: number;
  readonly offsetBytes: number;
  readonly runtimeNs: Ns | undefined;
  readonly ios: number | undefined;
  readonly rwmixread: number;
  readonly fsyncEvery: number;
  /** Percent of the job's writes issued with FUA (`fua = true` is 100). */
  readonly fuaPercent: number;
  /** Percent of the job's writes issued as WRITE_ZEROES. */
  readonly writeZeroesPercent: number;
  /** fio buffer_compress_percentage: written data compresses by about this percent (absent: zero buffers). */
  readonly compressPercent?: number | undefined;
  readonly verify: boolean;
  readonly startNs: Ns;
  /** Keep issuing after an I/O error (fio continue_on_error). */
  readonly continueOnError: boolean;
  /** Largest I/O (sizes drawn from bs up to this); undefined: bs. */
  readonly bsMaxBytes?: number | undefined;
  /** Percent of random I/Os in the first hotSizeBytes of the range. */
  readonly hotSpot?: { readonly sizeBytes: number; readonly share: number } | undefined;
}

interface At<A extends string> {
  /** Index in the file's `[[at]]` list (for messages); the timeline itself is sorted by time. */
  readonly index: number;
  readonly atNs: Ns;
  readonly action: A;
}

export type TimelineEvent =
  | (At<'crash' | 'restart'> & { readonly server: string })
  | (At<'partition' | 'link-down'> & {
      readonly link: string;
      readonly durationNs: Ns | undefined;
      /** A one-way partition: only traffic from `from` to `to` is dropped (absent: both ways). */
      readonly direction?: { readonly from: string; readonly to: string };
    })
  | (At<'heal' | 'link-up'> & { readonly link: string })
  | (At<'set-link'> & { readonly link: string; readonly set: Partial<Impairments> })
  | (At<'disk-eio'> & {
      readonly server: string;
      readonly export: string;
      readonly offsetBytes: number;
      readonly lengthBytes: number;
      readonly ops: readonly DiskOpName[];
      readonly error: 'EIO' | 'ENOSPC';
      readonly durationNs: Ns | undefined;
    })
  | (At<'slow'> & { readonly server: string; readonly delayNs: Ns; readonly durationNs: Ns | undefined })
  | (At<'hang'> & { readonly server: string; readonly durationNs: Ns | undefined })
  | (At<'malformed'> & { readonly server: string; readonly count: number; readonly kind: 'bad-magic' | 'bad-cookie' | 'short' | 'oversized' | 'reversed-chunks' | 'stale-reply' })
  | (At<'nic-dma-corrupt'> & { readonly host: string; readonly rate: number; readonly durationNs: Ns | undefined })
  | (At<'dma-error'> & { readonly host: string; readonly device: 'nic' | 'disk'; readonly rate: number; readonly durationNs: Ns | undefined })
  | (At<'mem-bitflip'> & { readonly server: string; readonly rate: number; readonly durationNs: Ns | undefined })
  | (At<'volume-power-loss'> & { readonly volume: string })
  | (At<'re-export'> & { readonly server: string; readonly export: string; readonly volume: string })
  | (At<'mgmt'> & { readonly argv: readonly string[] });

export type Percentile = 'p50' | 'p90' | 'p99' | 'p99.9' | 'max';
export type LatencyOp = 'read' | 'write' | 'flush' | 'trim';

/** How an NBD device (or, without `device`, every one) must end; failed: its reason containing `reason`. */
export interface DeviceExpectation {
  readonly device: string | undefined;
  readonly state: 'ready' | 'failed';
  readonly reason: string | undefined;
}

export interface Expectations {
  readonly safety: boolean;
  readonly livenessNs: Ns | undefined;
  readonly recoveryNs: Ns | undefined;
  readonly iops: { readonly min: number; readonly job: string | undefined } | undefined;
  readonly bandwidth: { readonly minBps: number; readonly job: string | undefined } | undefined;
  readonly latency: Partial<Record<LatencyOp, Partial<Record<Percentile, Ns>>>>;
  readonly noErrors: boolean;
  /** Limits on the network stage (per packet, NIC to NIC). */
  readonly networkLatency?: Partial<Record<Percentile, Ns>> | undefined;
  /** Limits on the submission stage (per request, queue_rq to the header's first byte on the wire). */
  readonly submissionLatency?: Partial<Record<Percentile, Ns>> | undefined;
  /** `[expect] failover`: at least one failover measured, the longest at most this long. */
  readonly failoverNs?: Ns | undefined;
  /** `[expect] backup_standby`: backups carry I/O only while every primary is down (settle time after one returns). */
  readonly backupStandbyNs?: Ns | undefined;
  /** Minimum IPv4 bytes through the client's NIC, per direction. */
  readonly wireBytes?: { readonly rx: number | undefined; readonly tx: number | undefined } | undefined;
  /**
   * Every job completes its I/Os (default): one that stopped at an error, or was still running
   * when the run ended, fails the run. False when the scenario expects jobs to stop early.
   */
  readonly jobsComplete?: boolean;
  /** No protocol error (client or server), transport error, request timeout or reconnect. */
  readonly cleanTransport?: boolean;
  /** Some server crash really dropped acknowledged, unflushed data (the crash model is exercised). */
  readonly crashLoss?: boolean;
  /** `[expect] iops_max`: most I/O operations per virtual second of all jobs together. */
  readonly iopsMax?: number | undefined;
  /** `[expect] cpu_busy`: least busy fraction of the client's busiest core over the run. */
  readonly cpuBusy?: number | undefined;
  /** `[expect] wire_commands`: what the servers must have received (merging, FUA writes, WRITE_ZEROES). */
  readonly wireCommands?: { readonly merged: boolean; readonly fua: number | undefined; readonly writeZeroes: number | undefined } | undefined;
  /** The safety checker must report corrupted reads (unknown content): an expected failure of data integrity. */
  readonly corruptedReads?: boolean;
  /** Mirror devices: every replica in sync at the end, with the same bytes (scenarios/runner/mirror-check.ts). */
  readonly mirrorInSync?: boolean;
  /** `[expect] device`: how each NBD device must end (absent: none may fail). */
  readonly device?: readonly DeviceExpectation[] | undefined;
  /** `[expect] cache`: every NBD device's client cache (or `device`'s): hit ratio, read-ahead hits, hit latency. */
  readonly cache?: CacheExpectation | undefined;
}

export interface CacheExpectation {
  /** Only this NBD device's cache; undefined: every device's. */
  readonly device: string | undefined;
  readonly hitRatio: number | undefined;
  readonly readAheadHits: number | undefined;
  readonly hitLatency: Partial<Record<Percentile, Ns>>;
}

/** A validated scenario: times in integer ns, sizes in bytes, rates in bit/s, references resolved. */
export interface Scenario {
  readonly file: string;
  /** SHA-256 (hex) of the file's text: replay checks it against a trace header. */
  readonly hash: string;
  readonly name: string;
  readonly description: string;
  readonly seeds: readonly number[];
  readonly machine: MachineSpec;
  readonly servers: readonly ServerSpec[];
  /** Shared volumes; absent in scenarios built by hand (none). */
  readonly volumes?: readonly VolumeSpec[];
  readonly links: readonly LinkSpec[];
  readonly nbd: NbdConfig;
  readonly jobs: readonly JobSpec[];
  /** Sorted by time; events at the same time keep file order. */
  readonly timeline: readonly TimelineEvent[];
  /** When the last fault heals (crash→restart, partition end, heal, …); 0 without faults. */
  readonly lastHealNs: Ns;
  readonly expect: Expectations;
  /** `[swarm]`: bounds of what --swarm draws; absent keys keep the built-in ranges. */
  readonly swarm?: SwarmBounds;
}

/** `[swarm]` normalised (scenarios/schema/swarm.ts). Ranges are [low, high]. */
export interface SwarmBounds {
  readonly loss?: readonly [number, number];
  readonly duplicate?: readonly [number, number];
  readonly reorder?: readonly [number, number];
  readonly keep?: number;
  readonly faults?: readonly [number, number];
  readonly faultKinds?: readonly ('partition' | 'slow' | 'hang' | 'malformed' | 'disk-error')[];
  readonly diskErrors?: readonly ('EIO' | 'ENOSPC')[];
  readonly poolSize?: readonly [number, number];
  readonly iodepth?: readonly [number, number];
  readonly ratesBps?: readonly number[];
  readonly disks?: readonly ('ram' | 'nvme' | 'ssd' | 'hdd')[];
}
