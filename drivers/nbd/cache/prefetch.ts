/**
 * Read-ahead as the cache's own READs: each window the detector opens is fetched in maxIo
 * pieces (those not cached yet) on up to RA_READS internal slots, stored when they return unless
 * a write to their range came meanwhile; NBD_CMD_CACHE asks a server that advertises it to
 * prefetch the window after (from its disk into its own cache).
 */
import { NBD_CMD_CACHE, NBD_CMD_READ } from '../protocol/uapi.ts';
import type { BlockCache } from './block-cache.ts';
import type { CacheHost } from './host.ts';
import { RA_READS, SLOT_HINT, WB_EXTENTS } from './costs.ts';
import type { ReadAhead, ReadAheadWindow } from './read-ahead.ts';
import type { RecentWrites } from './recent-writes.ts';

export class Prefetcher {
  private readonly seq = new Float64Array(RA_READS);
  private busy = 0;
  private readonly window: ReadAheadWindow = { offset: 0, length: 0 };
  reads = 0;
  bytes = 0;
  hints = 0;

  constructor(
    private readonly blocks: BlockCache,
    readonly detector: ReadAhead,
    private readonly maxIo: number,
    private readonly host: () => CacheHost,
    private readonly fillSeq: (offset: number, length: number) => number,
    private readonly recent: RecentWrites,
  ) {}

  /** A READ of the device was issued (hit or miss). */
  onRead(offset: number, length: number): void {
    const w = this.window;
    if (!this.detector.onRead(offset, length, w)) return;
    const host = this.host();
    const end = w.offset + w.length;
    let at = w.offset;
    while (at < end) {
      const len = Math.min(this.maxIo, end - at);
      if (!this.blocks.covers(at, len)) {
        let i = 0;
        while (i < RA_READS && (this.busy & (1 << i)) !== 0) i++;
        if (i === RA_READS) break;
        this.seq[i] = this.fillSeq(at, len);
        if (!host.submitInternal(WB_EXTENTS + i, NBD_CMD_READ, 0, at, len, null)) break;
        this.busy |= 1 << i;
        this.reads++;
        this.bytes += len;
      }
      at += len;
    }
    if (at < end) { this.detector.fetchedUpTo(w.offset, at); return; }
    if (host.canCache && end < host.exportBytes && host.submitInternal(SLOT_HINT, NBD_CMD_CACHE, 0, end, Math.min(w.length, host.exportBytes - end), null)) this.hints++;
  }

  /** Read-ahead READ `i` returned (or failed). */
  done(i: number, errno: number, data: Uint8Array, offset: number, length: number): void {
    this.busy &= ~(1 << i);
    if (errno === 0 && !this.recent.since(this.seq[i]!, offset, length)) this.blocks.fill(offset, length, data, 0, true);
  }

}
