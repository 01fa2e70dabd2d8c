/**
 * One job instance: `iodepth` slots, each with its own bio and buffer, reused for every I/O.
 * A slot issues its next I/O from its completion, so the job keeps `iodepth` I/Os in flight
 * until it has issued `ios` or its runtime is over.
 */
import type { Ns } from '../../hw-sim/engine/time.ts';
import type { Rng } from '../../hw-sim/engine/rng.ts';
import { Bio } from '../../kernel/block/bio.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import { REQ_FUA, REQ_OP } from '../../kernel/block/types.ts';
import type { OpHook } from './history.ts';
import { OpStats } from './report.ts';
import { isSequential, type Job } from './spec.ts';
import { CHUNK, type Verifier } from './verify.ts';
import { compressibleData } from './compressible.ts';

const KIND_READ = 0;
const KIND_WRITE = 1;
const KIND_FLUSH = 2;
const KIND_TRIM = 3;
/** A WRITE_ZEROES: counted with the writes, its content left to the history tap (zeros). */
const KIND_ZERO = 4;
const KIND_NAMES = ['read', 'write', 'flush', 'trim', 'write'] as const;

interface Slot {
  readonly job: JobInstance;
  readonly bio: Bio;
  /** Reissue after an error backoff (bound once). */
  retry: () => void;
  readonly buf: Uint8Array;
  readonly snap: Float64Array;
  kind: number;
  /** REQ_FUA when the current write carries it. */
  flags: number;
  offset: number;
  /** Bytes of the current I/O (bs, or drawn up to bsMax). */
  size: number;
  cid: number;
  busy: boolean;
}

/** What a job needs from the run it belongs to. */
export interface JobHost {
  now(): Ns;
  /** Runs `fn` after `delayNs` of virtual time. */
  later(delayNs: Ns, fn: () => void): void;
  readonly verifier: Verifier | null;
  nextContentId(): number;
  readonly onOp: OpHook | null;
  jobFinished(j: JobInstance): void;
}

/**
 * bio_endio of every job's bios: one function for all worlds. A per-job arrow was inlined into
 * the block layer's optimised completion code, which then died with the world (deopt 'weak objects').
 */
function slotEnded(bio: Bio): void {
  const s = bio.owner as Slot;
  s.job.complete(s);
}

export class JobInstance {
  readonly stats = [new OpStats(), new OpStats(), new OpStats(), new OpStats()];
  lastCompletionNs: Ns = 0;
  finished = false;
  private readonly slots: Slot[] = [];
  /** I/Os issued (flushes from fsync not counted). */
  issued = 0;
  private writesSinceFlush = 0;
  private cursor: number;
  private stopAt = Number.POSITIVE_INFINITY;
  private busySlots = 0;
  /** Stopped by an error (continueOnError off). */
  failed = false;
  private pendingRetries = 0;
  private readonly blocks: number;
  private readonly sequential: boolean;
  /** buffer_compress_percentage: the data every write carries (a slot's buffer also receives reads). */
  private readonly pattern: Uint8Array | null;

  constructor(
    private readonly host: JobHost,
    private readonly disk: GenDisk,
    readonly job: Job,
    /** Global job number written into verify headers. */
    readonly id: number,
    readonly instance: number,
    private readonly cpu: number,
    private readonly offsets: Rng,
    private readonly mix: Rng,
    /** Draws the data of buffer_compress_percentage (only when the job sets it). */
    data?: Rng,
  ) {
    this.pattern = job.compressPercent !== undefined && data ? compressibleData(job.bsMax, job.compressPercent, data) : null;
    this.cursor = job.offset;
    this.blocks = job.size / job.bs;
    this.sequential = isSequential(job.rw);
    for (let i = 0; i < job.iodepth; i++) {
      const buf = new Uint8Array(job.bsMax);
      const s: Slot = { job: this, bio: new Bio(), retry: () => {}, buf, snap: new Float64Array(job.bsMax / CHUNK), kind: 0, flags: 0, offset: 0, size: job.bs, cid: -1, busy: false };
      s.retry = () => {
        this.pendingRetries--;
        this.issue(s);
        if (this.busySlots === 0 && this.pendingRetries === 0) this.finish();
      };
      s.bio.owner = s;
      s.bio.endIo = slotEnded;
      this.slots.push(s);
    }
  }

  start(): void {
    if (this.job.runtimeNs > 0) this.stopAt = this.host.now() + this.job.runtimeNs;
    for (const s of this.slots) this.issue(s);
    if (this.busySlots === 0) this.finish();
  }

  private more(): boolean {
    if (this.failed) return false;
    if (this.job.ios > 0 && this.issued >= this.job.ios) return false;
    return this.host.now() < this.stopAt;
  }

  private issue(s: Slot): void {
    const j = this.job;
    if (j.fsyncEvery > 0 && this.writesSinceFlush >= j.fsyncEvery) {
      this.writesSinceFlush = 0;
      this.submit(s, KIND_FLUSH, 0);
      return;
    }
    if (!this.more()) return;
    this.issued++;
    let kind: number;
    if (j.rw === 'read' || j.rw === 'randread') kind = KIND_READ;
    else if (j.rw === 'write' || j.rw === 'randwrite') kind = KIND_WRITE;
    else if (j.rw === 'trim' || j.rw === 'randtrim') kind = KIND_TRIM;
    else kind = this.mix.next() * 100 < j.rwmixread ? KIND_READ : KIND_WRITE;
    // Draws happen only for the options that ask for them, so other jobs keep their offsets.
    let n = j.bsMax === j.bs ? j.bs : j.bs * (1 + this.offsets.int(j.bsMax / j.bs));
    let offset: number;
    if (this.sequential) {
      if (this.cursor + n > j.offset + j.size) this.cursor = j.offset;
      offset = this.cursor;
      this.cursor += n;
      if (this.cursor >= j.offset + j.size) this.cursor = j.offset;
    } else if (j.hotShare > 0 && this.offsets.next() * 100 < j.hotShare) {
      n = Math.min(n, j.hotSize);
      offset = j.offset + this.offsets.int((j.hotSize - n) / j.bs + 1) * j.bs;
    } else {
      offset = j.offset + (n === j.bs ? this.offsets.int(this.blocks) : this.offsets.int((j.size - n) / j.bs + 1)) * j.bs;
    }
    s.flags = 0;
    if (kind === KIND_WRITE) {
      this.writesSinceFlush++;
      // Drawn only for the options that ask (a share of 100 draws nothing), so other jobs keep their numbers.
      if (j.writeZeroes > 0 && (j.writeZeroes >= 100 || this.mix.next() * 100 < j.writeZeroes)) kind = KIND_ZERO;
      else if (j.fua > 0 && (j.fua >= 100 || this.mix.next() * 100 < j.fua)) s.flags = REQ_FUA;
    }
    s.size = n;
    this.submit(s, kind, offset);
  }

  private submit(s: Slot, kind: number, offset: number): void {
    const now = this.host.now();
    const v = this.host.verifier;
    const bs = s.size;
    const buf = bs === s.buf.length ? s.buf : s.buf.subarray(0, bs);
    s.kind = kind;
    s.offset = offset;
    s.cid = -1;
    if (kind === KIND_FLUSH) {
      s.bio.set(REQ_OP.FLUSH, 0, 0, null);
    } else if (kind === KIND_TRIM || kind === KIND_ZERO) {
      v?.beginTrim(offset, bs);
      s.bio.set(kind === KIND_TRIM ? REQ_OP.DISCARD : REQ_OP.WRITE_ZEROES, offset / 512, bs, null);
    } else if (kind === KIND_WRITE) {
      if (!v) s.cid = this.host.nextContentId();
      else if (this.job.verify) s.cid = v.beginWrite(buf, offset, bs, this.id, now);
      else s.cid = v.beginOpaqueWrite(offset, bs, this.id, now); // content the verifier cannot recognise
      if (this.pattern) buf.set(this.pattern.subarray(0, bs));
      s.bio.set(REQ_OP.WRITE, offset / 512, bs, buf, s.flags);
    } else {
      if (v && this.job.verify) v.beginRead(offset, bs, s.snap);
      s.bio.set(REQ_OP.READ, offset / 512, bs, buf);
    }
    if (!s.busy) {
      s.busy = true;
      this.busySlots++;
    }
    this.disk.submitBio(s.bio, this.cpu);
  }

  /** The slot's I/O ended (slotEnded). */
  complete(s: Slot): void {
    const bio = s.bio;
    const now = this.host.now();
    const ok = bio.status === 0;
    const st = this.stats[s.kind === KIND_ZERO ? KIND_WRITE : s.kind]!;
    st.ios++;
    st.bytes += s.kind === KIND_ZERO ? 0 : bio.bytes; // zeroes move no data
    if (!ok) st.errors++;
    st.lat.record(now - bio.submitNs);
    this.lastCompletionNs = now;
    const v = this.host.verifier;
    const verify = v !== null && this.job.verify;
    let observed: Float64Array | null = null;
    if (s.kind === KIND_TRIM || s.kind === KIND_ZERO || (s.kind === KIND_WRITE && !this.job.verify)) v?.endTrim(s.offset, bio.bytes, now);
    else if (verify && s.kind === KIND_WRITE) v.endWrite(s.cid, now, ok);
    else if (verify && s.kind === KIND_READ && ok) {
      observed = this.host.onOp ? new Float64Array(s.snap.length) : null;
      v.endRead(s.buf, s.offset, bio.bytes, s.snap, observed, now);
    }
    const hook = this.host.onOp;
    if (hook) {
      hook({
        job: this.job.name, instance: this.instance, kind: KIND_NAMES[s.kind]!, offset: s.offset, length: bio.bytes,
        issueNs: bio.submitNs, completeNs: now, errno: bio.status, contentId: s.cid, observed: observed ? Array.from(observed) : null,
      });
    }
    if (!ok && this.job.continueOnError && this.more()) {
      // Keep the slot busy through the backoff so the job does not finish meanwhile.
      this.host.later(this.job.errorBackoffNs, s.retry);
      s.busy = false;
      this.busySlots--;
      this.pendingRetries++;
      return;
    }
    if (!ok && !this.job.continueOnError) this.failed = true;
    s.busy = false;
    this.busySlots--;
    this.issue(s);
    if (this.busySlots === 0 && this.pendingRetries === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.host.jobFinished(this);
  }
}
