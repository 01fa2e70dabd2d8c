/**
 * The catalogue of injectable bugs: test-only flags, each a small deliberate defect at one spot of
 * one layer, and the scenario (or sweep) that must catch it. A run gets its set of bugs in its
 * options; the engine holds it, so any layer checks a flag with `engine.bugs.has('early-ack')`.
 *
 * Every guarantee the simulator claims has an entry here, and `npm run mutants` (tools/mutants)
 * proves each entry is killed: with the bug on, at least one of its killers fails.
 *
 * Adding a bug: append an entry (name, layer, what it breaks, its killers), put one
 * `if (engine.bugs.has('name'))` at the spot, and make sure a killer fails with it.
 */

export type BugLayer = 'driver' | 'protocol' | 'block' | 'server' | 'disk' | 'net' | 'workload' | 'checker';

/** A run that must fail with the bug on: a scenario file under scenarios/, its seeds, swarm or not. */
export interface BugKiller {
  /** File name under scenarios/, e.g. 'fault-mix.toml'. */
  readonly scenario: string;
  /** Seeds to try (the first failing one is the kill); default: the scenario's own seeds. */
  readonly seeds?: readonly number[];
  /** Run with swarm on (the seed also draws the fault mix). */
  readonly swarm?: boolean;
}

export interface BugSpec {
  readonly name: string;
  readonly layer: BugLayer;
  /** What the defect does, in the words of the code it breaks. */
  readonly description: string;
  /** Runs expected to fail with the bug on. */
  readonly killers: readonly BugKiller[];
}

/** The catalogue. Names are kebab-case and stable: CLI `--inject NAME` and trace headers use them. */
export const BUGS = [
  {
    name: 'drop-acked-write',
    layer: 'driver',
    description: 'the driver acknowledges one write (late in the run) to the block layer without ever sending it',
    killers: [{ scenario: 'fault-mix.toml' }],
  },
  {
    name: 'dead-conn-from-queue-time',
    layer: 'driver',
    description: 'dead_conn_timeout is measured from each request\'s queue time: requests requeued after a connection died silently fail with EIO at once',
    killers: [{ scenario: 'fault-hang.toml', seeds: [1] }],
  },
  {
    name: 'silence-watch-disarms',
    layer: 'driver',
    description: 'the silence watchdog decides whether to re-arm before its kills requeue their requests: requests moved onto a connection it already passed as idle go unwatched, and a slow server stalls the run',
    killers: [{ scenario: 'fault-slow-disk-silence.toml', seeds: [1] }],
  },
  {
    name: 'lost-requeue',
    layer: 'driver',
    description: 'a dead connection\'s in-flight requests are forgotten instead of requeued: they never complete',
    killers: [{ scenario: 'fault-mix.toml' }],
  },
  {
    name: 'access-control-skipped',
    layer: 'server',
    description: 'the server skips its per-export access lists and read-only grants: every client may open and write every export',
    killers: [{ scenario: 'security-acl-refused.toml' }],
  },
  {
    name: 'cache-flush-before-write-back',
    layer: 'driver',
    description: 'with the write-back cache, a FLUSH goes to the server before the dirty data it covers was written back (it completes while that data is only in the client)',
    killers: [{ scenario: 'cache-wb-client-crash.toml' }],
  },
  {
    name: 'cache-stale-read',
    layer: 'driver',
    description: 'a write leaves the read cache\'s copy of its range as it was, so later reads hit the old data',
    killers: [{ scenario: 'cache-wt-randrw.toml' }],
  },
  {
    name: 'cache-drop-dirty-on-reconnect',
    layer: 'driver',
    description: 'with the write-back cache, a lost connection drops the dirty data instead of writing it back after the reconnect',
    killers: [{ scenario: 'cache-wb-link-flap.toml' }],
  },
  {
    name: 'volume-in-host-power-domain',
    layer: 'server',
    description: 'a server host crash also drops the cache of the shared volume it exports, as if the volume were its own disk',
    killers: [{ scenario: 'multi-shared-volume.toml' }],
  },
  {
    name: 'disk-prefill-ignored',
    layer: 'disk',
    description: 'the virtual disk ignores its prefill: a prefilled export reads as holes, so reads move no data and return zeros',
    killers: [{ scenario: 'perf-seq-read.toml' }, { scenario: 'perf-randread-4k.toml' }],
  },
  {
    name: 'double-requeue',
    layer: 'driver',
    description: 'a dead connection\'s in-flight request is put on the waiting list twice, so it is sent twice and completed twice',
    killers: [{ scenario: 'fault-mix.toml' }, { scenario: 'fault-hang.toml' }],
  },
  {
    name: 'fua-dropped',
    layer: 'driver',
    description: 'the driver clears NBD_CMD_FLAG_FUA on every command it sends: a FUA write is acknowledged while still in the server\'s volatile cache',
    killers: [{ scenario: 'fault-crash-fua.toml' }],
  },
  {
    name: 'write-error-swallowed',
    layer: 'driver',
    description: 'a server error reply to a WRITE, TRIM or WRITE_ZEROES completes the request with success',
    killers: [{ scenario: 'fault-eio.toml' }],
  },
  {
    name: 'timeout-success',
    layer: 'driver',
    description: 'a request whose blk-mq timeout fires while it is on the wire completes with success (no data) instead of being resent',
    killers: [{ scenario: 'fault-timeout.toml' }],
  },
  {
    name: 'blk-flush-skipped',
    layer: 'block',
    description: 'blk-mq completes a FLUSH bio at once (success) without sending a flush request to the driver',
    killers: [{ scenario: 'fault-crash-flush.toml' }],
  },
  {
    name: 'blk-fua-dropped',
    layer: 'block',
    description: 'blk-mq clears REQ_FUA when it builds a request, so a FUA write reaches the driver as a plain write',
    killers: [{ scenario: 'fault-crash-fua.toml' }],
  },
  {
    name: 'server-early-ack',
    layer: 'server',
    description: 'the server replies success to a WRITE as soon as its payload arrived, before its disk applied it',
    killers: [{ scenario: 'fault-slow.toml' }],
  },
  {
    name: 'server-flush-early',
    layer: 'server',
    description: 'the server replies to a FLUSH before its disk\'s flush completed',
    killers: [{ scenario: 'fault-crash-flush.toml' }],
  },
  {
    name: 'server-fua-ignored',
    layer: 'server',
    description: 'the server writes a FUA write into the disk\'s volatile cache like a plain write',
    killers: [{ scenario: 'fault-crash-fua.toml' }],
  },
  {
    name: 'server-eio-as-success',
    layer: 'server',
    description: 'a disk error on a WRITE is answered with success (errno 0)',
    killers: [{ scenario: 'fault-eio.toml' }],
  },
  {
    name: 'reply-buffer-reused',
    layer: 'server',
    description: 'a delayed reply keeps views of the session\'s reused reply scratch and the disk\'s pooled read buffer instead of copies',
    killers: [{ scenario: 'fault-slow.toml' }],
  },
  {
    name: 'flush-not-persisted',
    layer: 'disk',
    description: 'the disk completes a flush without moving its cache to the media',
    killers: [{ scenario: 'fault-crash-flush.toml' }],
  },
  {
    name: 'disk-dma-error-ignored',
    layer: 'disk',
    description: 'the disk controller reports success for a request whose DMA transfer failed: a read returns a buffer the data never reached (zeros), a write is acknowledged but never stored',
    killers: [{ scenario: 'fault-dma.toml' }],
  },
  {
    name: 'disk-fua-ignored',
    layer: 'disk',
    description: 'the disk writes a FUA write to its cache only',
    killers: [{ scenario: 'fault-crash-fua.toml' }],
  },
  {
    name: 'crash-keeps-unflushed',
    layer: 'disk',
    description: 'a power loss keeps the disk\'s unflushed cache instead of dropping it',
    killers: [{ scenario: 'fault-crash-flush.toml' }],
  },
  {
    name: 'merge-drops-bio',
    layer: 'block',
    description: 'a back merge completes the bio (success) without adding it to the request: its write never reaches the device, its read returns the old buffer',
    killers: [{ scenario: 'fault-merge.toml' }, { scenario: 'fault-mix-wide.toml' }],
  },
  {
    name: 'checksum-verify-skipped',
    layer: 'protocol',
    description: 'with the checksum extension negotiated, the client takes read data without verifying its CRC-32C: data corrupted below TCP (NIC DMA, server memory) reaches the workload',
    killers: [{ scenario: 'ext-checksum-faults.toml' }],
  },
  {
    name: 'header-checksum-skipped',
    layer: 'protocol',
    description: 'with the checksum extension negotiated, both ends step over the CRC-32C of transmission headers and chunk payloads without checking it: a header damaged below TCP is believed (a request turned into TRIM or CACHE, a flipped error value or FUA flag)',
    killers: [{ scenario: 'ext-header-faults.toml' }],
  },
  {
    name: 'server-zeroes-ignored',
    layer: 'server',
    description: 'the server answers NBD_CMD_WRITE_ZEROES with success without zeroing anything: the old data stays',
    killers: [{ scenario: 'fault-mix-wide.toml' }],
  },
  {
    name: 'mirror-completes-after-one-replica',
    layer: 'driver',
    description: 'a mirror device completes a write once one in-sync replica acknowledged it: the write goes to that replica only and the others, still counted in sync, never get it',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'resync-skips-dirty-region',
    layer: 'driver',
    description: 'the resync of a returning mirror replica clears one dirty region in four without copying it, so the replica rejoins missing those writes',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'resync-copy-ignores-session',
    layer: 'driver',
    description: 'the resync offers a region copy\'s READ to a connection with socket room without asking its session: a UDP session (no send queue of its own) cannot send a 64 KiB READ its window does not admit and the run ends in an exception',
    killers: [{ scenario: 'udp-mirror.toml' }],
  },
  {
    name: 'resync-unpaced',
    layer: 'driver',
    description: 'the resync of a returning mirror replica ignores resync_rate: its copies start as fast as its slots free up, taking the links from the foreground I/O',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'mirror-forgets-unflushed',
    layer: 'driver',
    description: 'a mirror replica that drops out gets only the writes it missed in its dirty bitmap, not the ones it acknowledged but had not flushed: after its crash the resync leaves the writes its disk lost',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'mirror-reads-resyncing-replica',
    layer: 'driver',
    description: 'a mirror replica that returned takes READs as soon as its resync starts, before it holds every acknowledged write: reads of regions not copied back yet return what it held before it dropped out',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'mirror-overlapping-writes-unordered',
    layer: 'driver',
    description: 'a mirror sends a write that overlaps one still in flight at once instead of after it: on different connections the replicas apply the two in different orders and end up holding different bytes',
    killers: [{ scenario: 'multi-mirror-fault-mix.toml', swarm: true, seeds: [1, 2, 3] }],
  },
  {
    name: 'mirror-degraded-not-durable',
    layer: 'driver',
    description: 'a degraded mirror (a replica behind) keeps acknowledging writes from the in-sync replicas\' volatile caches (no FUA, no flush of what they hold): a crash of the last one\'s host loses acknowledged writes no other replica has',
    killers: [{ scenario: 'multi-mirror-degraded.toml' }],
  },
  {
    name: 'mirror-ignores-server-restart',
    layer: 'driver',
    description: 'a mirror replica that reconnects is taken for the same server instance even when its host restarted (the boot= token of its export description changed): the regions it acknowledged and had not flushed when it dropped out are taken as held, though its crash lost them',
    killers: [{ scenario: 'multi-mirror.toml' }],
  },
  {
    name: 'backup-carries-while-primary-up',
    layer: 'driver',
    description: 'a backup server (role = "backup") takes requests like a primary while the primaries are up, instead of only while every primary is down',
    killers: [{ scenario: 'multi-backup-failover.toml' }],
  },
  {
    name: 'failover-ignores-backup',
    layer: 'driver',
    description: 'failover never moves I/O to a backup server: with every primary down, requests wait for a primary until dead_conn_timeout fails them',
    killers: [{ scenario: 'multi-backup-failover.toml' }],
  },
  {
    name: 'given-up-never-redialled',
    layer: 'driver',
    description: 'the health check does not dial given-up connections (reconnect attempts run out) again: a server that returns after that is never used again',
    killers: [{ scenario: 'multi-mirror-degraded.toml' }],
  },
  {
    name: 'backend-check-skipped',
    layer: 'driver',
    description: 'the driver takes every server whose handshake succeeds, whatever backend its export description names: a server that comes back serving another store carries I/O beside the others',
    killers: [{ scenario: 'multi-re-export.toml' }],
  },
  {
    name: 'failover-ignores-health',
    layer: 'driver',
    description: 'failover counts a primary as up while it has a usable connection, even when the health probe marked it unhealthy: a primary that answers 20 ms late keeps all the I/O and the backup stands by',
    killers: [{ scenario: 'multi-backup-sick-primary.toml' }],
  },
  {
    name: 'flush-skipped-on-idle-port',
    layer: 'server',
    description: 'a server answers a FLUSH without flushing when no write came through it since its last FLUSH: right for a disk of its own, wrong for a shared volume whose writes came through another server',
    killers: [{ scenario: 'multi-volume-flush-any-port.toml' }],
  },
  {
    name: 'health-probe-ignored',
    layer: 'driver',
    description: 'the load balancer ignores the health probe\'s verdict: a server whose probes time out keeps getting reads',
    killers: [{ scenario: 'multi-health-probe.toml' }],
  },
  {
    name: 'chunk-offset-ignored',
    layer: 'protocol',
    description: 'the client places each OFFSET_DATA chunk of a structured READ after the previous one instead of at its offset: chunks sent out of order (legal) land in the wrong place',
    killers: [{ scenario: 'fault-reply-shapes.toml' }],
  },
  {
    name: 'stale-generation-accepted',
    layer: 'protocol',
    description: 'the client matches a reply by its tag alone: a late reply carrying an earlier connection\'s generation completes the request now using that tag, with its data',
    killers: [{ scenario: 'fault-reply-shapes.toml' }],
  },
  {
    name: 'udp-replay-cache-off',
    layer: 'server',
    description: 'the UDP transport\'s server keeps no replay cache and ignores acked-below: a retransmitted WRITE is applied again, even after a later write to the same range',
    killers: [{ scenario: 'udp-reorder-dup.toml' }],
  },
  {
    name: 'udp-raced-read-unsettled',
    layer: 'driver',
    description: 'a UDP READ once raced by an overlapping write restarts its reassembly on every later attempt, even after the write is acknowledged: a large reply under loss needs many whole replies in a row, 1 s of backoff apart',
    // udp-raced-read makes the race the common case (each of its seeds: a READ 1.3-2.3 s late,
    // correct runs' worst 0.33 s); udp-fault-mix's swarm seeds 64 and 291 miss the bound by only 0.1-0.3 s.
    killers: [{ scenario: 'udp-raced-read.toml' }, { scenario: 'udp-fault-mix.toml', seeds: [64, 291], swarm: true }],
  },
  {
    name: 'safety-skips-block',
    layer: 'checker',
    description: 'the online safety checker leaves the last block of every multi-block read unchecked (a stale block there would pass); the history tap counts the blocks it hands over and reports the shortfall',
    killers: [{ scenario: 'perf-seq-read.toml' }],
  },
  {
    name: 'server-error-as-eio',
    layer: 'driver',
    description: 'the driver completes every server error reply with EIO (as Linux nbd.c does), so a full disk (NBD_ENOSPC) reaches the job as EIO',
    killers: [{ scenario: 'fault-enospc.toml' }],
  },
  {
    name: 'blk-cost-not-charged',
    layer: 'block',
    description: 'the block layer\'s submit_bio and bio_endio work is not charged to the CPU model (hw-sim/cpu/costs.ts blkSubmitNs, blkCompleteNs): the one-core client goes faster than its CPU allows (iops_max)',
    killers: [{ scenario: 'perf-cpu-1core.toml' }],
  },
  {
    name: 'nbd-driver-cost-not-charged',
    layer: 'driver',
    description: 'the NBD driver\'s own work per request (queue_rq, reply handling; hw-sim/cpu/costs.ts nbdQueueRqNs, nbdReplyNs) and its TLS work are not charged to the client\'s CPU: the one-core client goes faster than its CPU allows (iops_max)',
    killers: [{ scenario: 'perf-cpu-1core.toml' }],
  },
  {
    name: 'cache-fua-drops-dirty',
    layer: 'driver',
    description: 'with the write-back cache, a FUA write through dirty data of its range drops that data at once instead of waiting for its write-back: a read before the FUA write lands sees older content',
    killers: [{ scenario: 'cache-wb-fua.toml' }, { scenario: 'cache-wb-fault-mix.toml', seeds: [47], swarm: true }],
  },
  {
    name: 'server-enospc-as-eio',
    layer: 'server',
    description: 'the server answers a write its disk refused for want of space with NBD_EIO instead of NBD_ENOSPC',
    killers: [{ scenario: 'fault-enospc.toml' }, { scenario: 'fault-enospc.toml', seeds: [1, 3], swarm: true }],
  },
  {
    name: 'flush-barrier-off',
    layer: 'driver',
    description: 'the FLUSH barrier lets every FLUSH go at once: it is sent (and may be answered) before the replies of the writes issued before it',
    killers: [{ scenario: 'fault-mix-wide.toml', seeds: [1] }, { scenario: 'fault-mix.toml', seeds: [2], swarm: true }],
  },
  {
    name: 'cache-read-unpinned',
    layer: 'driver',
    description: 'a READ the cache sends to the server leaves its blocks evictable: a FUA write after their write-back drops them, and the read\'s reply, older than that write-back, is not overlaid with them',
    killers: [{ scenario: 'cache-wb-zeroes-fua.toml' }, { scenario: 'cache-wb-fault-mix.toml', seeds: [125], swarm: true }],
  },
  {
    name: 'cache-flush-passes-held-write',
    layer: 'driver',
    description: 'with the write-back cache, a FLUSH goes on while a write issued before it is still held in the cache (waiting for a write-back of its range), so the FLUSH completes before that write is answered',
    killers: [{ scenario: 'cache-wb-fault-mix.toml', seeds: [27, 44, 140], swarm: true }],
  },
  {
    name: 'tls-tag-unchecked',
    layer: 'net',
    description: 'kernel TLS (kernel/net/tls) hands up a received record\'s plaintext even when its AES-GCM tag does not verify: bits flipped below TCP\'s checksum (NIC DMA) reach the workload instead of ending the connection',
    killers: [{ scenario: 'tls-dma-corrupt.toml' }],
  },
  {
    name: 'autocork-not-pushed',
    layer: 'net',
    description: 'TCP autocorking (kernel/net/tcp/autocork.ts) holds a small send back while the socket has packets in the NIC, but their tx completion does not push it (the TSQ handler is lost): the corked tail waits for an ACK, which for a small reply the peer delays by up to 40 ms',
    killers: [{ scenario: 'perf-randwrite-4k.toml' }],
  },
  {
    name: 'autocork-ignores-device',
    layer: 'net',
    description: 'TCP autocorking corks a small send whenever data is unacknowledged, without asking whether a packet of the socket is still in the NIC (sk_wmem_alloc): with none there no tx completion comes to push it, and it waits for an ACK the peer may delay by 40 ms',
    killers: [{ scenario: 'perf-randwrite-4k.toml' }],
  },
] as const satisfies readonly BugSpec[];

export type BugName = (typeof BUGS)[number]['name'];

export const BUG_NAMES: readonly BugName[] = BUGS.map((b) => b.name);

export function isBugName(name: string): name is BugName {
  return (BUG_NAMES as readonly string[]).includes(name);
}

export function bugSpec(name: BugName): BugSpec {
  return BUGS.find((b) => b.name === name)!;
}

/**
 * The bugs switched on in one run. `has` is a set lookup; with none on (every normal run) it is
 * one size check, so hooks cost nothing on the hot path.
 */
export class Bugs {
  private readonly on: ReadonlySet<string>;

  constructor(names: Iterable<string> = []) {
    const set = new Set<string>();
    for (const n of names) {
      if (!isBugName(n)) throw new Error(`unknown bug '${n}' (known: ${BUG_NAMES.join(', ')})`);
      set.add(n);
    }
    this.on = set;
  }

  has(name: BugName): boolean {
    return this.on.size !== 0 && this.on.has(name);
  }

  /** The bugs switched on, in catalogue order. */
  list(): BugName[] {
    return BUG_NAMES.filter((n) => this.on.has(n));
  }

  get any(): boolean {
    return this.on.size !== 0;
  }
}

/** No bugs: what every run outside the mutants test uses. */
export const NO_BUGS = new Bugs();
