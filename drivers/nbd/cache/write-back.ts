/**
 * Background write-back of dirty cache data, as the kernel's flusher threads do: by age (a block
 * dirty for `expireNs` is written back), by pressure (dirty above half of `limitBytes`, like
 * dirty_background_ratio) and on demand (a FLUSH, nbd-cache-flush, a throttled writer). At most
 * `extents.length` extents are on the wire at once, each coalesced up to maxIo. FLUSH epochs:
 * data absorbed before a FLUSH arrived carries an epoch ≤ the FLUSH's; the FLUSH may go on only
 * once no such data is dirty or on the wire (`cleanThrough`).
 */
import type { Engine, EventHandle } from '../../../hw-sim/engine/index.ts';
import type { BlockCache } from './block-cache.ts';
import { completeWriteBack, planWriteBack, WriteBackExtent } from './write-back-plan.ts';

/** How the write-back reaches the server: one WRITE per extent; false when no request slot is free. */
export type SubmitWrite = (x: WriteBackExtent, index: number) => boolean;

export interface WriteBackOptions {
  limitBytes: number;
  maxIo: number;
  inFlight: number;
  expireNs: number;
}

export class WriteBack {
  readonly extents: WriteBackExtent[] = [];
  /** The current FLUSH epoch: data absorbed now carries it; a FLUSH closes it. */
  epoch = 0;
  /** Highest epoch someone waits to see written back (-1: none): write-back is urgent up to it. */
  private wantedThrough = -1;
  private timer: EventHandle | null = null;
  private timerAt = 0;
  /** Bytes and WRITEs sent by write-back, and the ones that failed (written again later). */
  bytes = 0;
  writes = 0;
  failures = 0;
  /** Called after every completed extent (held FLUSHes, throttled writers and FUA writes retry). */
  onProgress: () => void = () => {};
  /** Ranges vetoed for write-back now (a TRIM or FUA write overlapping them is on the wire). */
  blocked: (offset: number, length: number) => boolean = () => false;
  /** When a block became dirty (virtual ns), by slot. */
  readonly since: Float64Array;

  constructor(private readonly engine: Engine, private readonly cache: BlockCache, readonly opts: WriteBackOptions, private readonly submit: SubmitWrite) {
    for (let i = 0; i < opts.inFlight; i++) this.extents.push(new WriteBackExtent(opts.maxIo));
    this.since = new Float64Array(Math.max(1, cache.slots));
    cache.onDirtied = (s) => this.dirtied(s);
  }

  get dirtyBytes(): number { return this.cache.dirtyBytes; }

  /** Room for `bytes` more dirty data. */
  hasRoom(bytes: number): boolean {
    return this.cache.dirtyBytes + bytes <= this.opts.limitBytes;
  }

  /** Closes the current epoch (a FLUSH arrived); answers the epoch the FLUSH waits for. */
  closeEpoch(): number {
    return this.epoch++;
  }

  /** Someone needs every block of epoch ≤ `e` written back: do it now. */
  want(e: number): void {
    if (e > this.wantedThrough) this.wantedThrough = e;
    this.kick();
  }

  cleanThrough(e: number): boolean {
    return this.cache.cleanThrough(e);
  }

  /** Sends what is due: everything while urgent or under pressure, else blocks past their age. */
  kick(): void {
    const c = this.cache;
    const now = this.engine.now;
    if (this.wantedThrough >= 0 && c.cleanThrough(this.wantedThrough)) this.wantedThrough = -1;
    for (let i = 0; i < this.extents.length; i++) {
      const x = this.extents[i]!;
      if (x.busy) continue;
      const tail = c.dirtyList.tail;
      if (tail < 0) break;
      const due = this.wantedThrough >= 0 || c.dirtyBytes * 2 > this.opts.limitBytes || now - this.since[tail]! >= this.opts.expireNs;
      if (!due) break;
      if (!planWriteBack(c, x, this.blocked)) break;
      if (!this.submit(x, i)) { completeWriteBack(c, x, false); break; }
      this.bytes += x.length;
      this.writes++;
    }
    this.arm();
  }

  /** The WRITE of extent `i` was answered. */
  done(i: number, ok: boolean): void {
    const x = this.extents[i]!;
    if (!x.busy) return;
    completeWriteBack(this.cache, x, ok);
    if (!ok) {
      // Dirty again; retried by the timer, not now: a send refused on the spot would loop.
      this.failures++;
      this.arm();
      return;
    }
    this.onProgress();
    this.kick();
  }

  /** A block turned dirty now (stamp for the age rule). */
  dirtied(slot: number): void {
    this.since[slot] = this.engine.now;
    this.arm();
  }

  /** An extent whose data was forgotten (crash) got its reply: free for use again. */
  release(i: number): void {
    this.extents[i]!.busy = false;
  }

  /** Client crash: nothing is dirty any more; extents on the wire stay busy until their reply. */
  reset(): void {
    for (const x of this.extents) x.count = 0;
    this.wantedThrough = -1;
    this.engine.cancel(this.timer);
    this.timer = null;
  }

  /** One timer for the age rule, at the oldest dirty block's expiry. */
  private arm(): void {
    const tail = this.cache.dirtyList.tail;
    if (tail < 0) return;
    let at = this.since[tail]! + this.opts.expireNs;
    // Already due but not sent (extents busy: their replies kick; vetoed or no request slot): retry later.
    if (at <= this.engine.now) at = this.engine.now + this.opts.expireNs;
    if (this.timer !== null && this.timerAt <= at) return;
    this.engine.cancel(this.timer);
    this.timerAt = at;
    this.timer = this.engine.schedule(at - this.engine.now, () => { this.timer = null; this.kick(); }, 'nbd.cache.write_back');
  }
}
