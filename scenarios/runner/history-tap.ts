/**
 * The operation history, taken at the block-device boundary (submit_bio / bio end_io) and
 * independent of the system under test: what each write carried and what each read returned is
 * read from the data itself (the workload's verify headers, see block-content.ts), not from any
 * driver state. It feeds the online safety checker as the run goes, per block of `blockSize`
 * (a 4 KiB page when every job's requests are whole pages), and keeps per operation only what
 * the other checkers need: every failed or unfinished request, and every request when liveness
 * or recovery is checked (as content-free records).
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import { Bio, type BioEndIo } from '../../kernel/block/bio.ts';
import { GenDisk } from '../../kernel/block/gendisk.ts';
import type { BlkPlug } from '../../kernel/block/queue.ts';
import type { Request } from '../../kernel/block/request.ts';
import { REQ_FUA, REQ_OP } from '../../kernel/block/types.ts';
import type { CpuContext } from '../../kernel/core/cpu-context.ts';
import { INITIAL_CONTENT, type CrashRecord, type History, type OpKind, type OpRecord } from '../checkers/history.ts';
import { OnlineSafety, type ReadHandle, type SafetyReport, type WriteHandle } from '../checkers/safety.ts';
import { FlushOrder, type FlushOrderFlush, type FlushOrderWrite } from '../checkers/flush-order.ts';
import type { SafetyViolation } from '../checkers/safety-rules.ts';
import { BlockContent } from './block-content.ts';
import type { Cpu } from '../../hw-sim/cpu/cpu.ts';
import type { CpuCosts } from '../../hw-sim/cpu/costs.ts';

const NOTHING = (): void => {};
import type { TapObserver } from '../checkers/crash-loss.ts';

export interface HistoryTapOptions {
  /** Checker block: 4096 when every request is whole pages, else 512. */
  readonly blockSize: number;
  /** The device starts with the prefill pattern (its chunks are the initial content, zeros are not). */
  readonly prefilled: boolean;
  /** Keep a record of every request (liveness, recovery); otherwise only failed and unfinished ones. */
  readonly keepOps: boolean;
  /** A crash may happen in this run (the safety checker then waits for durability to prune). */
  readonly crashesPossible: boolean;
  /** The client's CPU, charged with the block layer's submission and completion work per bio. */
  readonly cpu?: Cpu;
  /** Costs of that work; none: free and synchronous. */
  readonly costs?: CpuCosts | undefined;
  /** Plug the bios submitted in one engine event (blk_start_plug / blk_finish_plug around them). */
  readonly plug?: boolean;
  /** Also told every write, read and crash with their content ids (the crash-loss checker). */
  readonly observer?: TapObserver;
}

/**
 * A request in flight through the tap. While it is below, the bio's owner (bi_private) and endIo
 * are the tap's, as a stacking driver's are; the submitter's come back before its endIo runs. So
 * the tap finds its record from the bio without a map.
 */
class Pending {
  /** Ended (its bio went back to the submitter). */
  done = false;
  /** Its write in the safety checker (-1: not a write or trim). */
  write: WriteHandle = -1;
  read: ReadHandle | null = null;
  /** Its record in the FLUSH-order check (a write or trim; a FLUSH on a device with a write cache). */
  orderWrite: FlushOrderWrite | null = null;
  orderFlush: FlushOrderFlush | null = null;

  constructor(
    readonly tap: HistoryTap,
    readonly id: number,
    readonly kind: OpKind,
    readonly offset: number,
    readonly length: number,
    readonly issuedNs: number,
    /** The submitter's endIo and owner, given back at the end. */
    readonly endIo: BioEndIo | null,
    readonly owner: unknown,
    /** The core that submitted it (its completion work runs there too). */
    readonly core: number,
  ) {}
}

/** The tap's record of `bio` while it is below the tap, else null. */
function pendingOf(bio: Bio | null | undefined): Pending | null {
  const p = bio?.owner;
  return p instanceof Pending && !p.done ? p : null;
}

/** endIo of every bio below a tap: one function for all taps and worlds (no per-tap closure). */
function tapEnded(bio: Bio): void {
  pendingOf(bio)?.tap.ended(bio);
}

/** The queue's onStarted for a tapped device with a write cache: the FLUSH-order check's view. */
function tapStarted(rq: Request): void {
  if (rq.op === REQ_OP.FLUSH) {
    pendingOf(rq.flushOwner)?.tap.started(rq);
    return;
  }
  for (let i = 0; i < rq.nrBios; i++) {
    const p = pendingOf(rq.bios[i]);
    if (p) {
      p.tap.started(rq);
      return;
    }
  }
}

/** A gendisk view that records every bio before passing it on; the queue is the real disk's. */
export class HistoryTap extends GenDisk {
  readonly safety: OnlineSafety;
  /** FLUSH completes only after the writes the driver took before it (flush-order.ts). */
  readonly flushOrder = new FlushOrder();
  private readonly content: BlockContent;
  private readonly ops: OpRecord[] = [];
  /** Requests submitted through the tap; ended ones are dropped now and then (inFlight counts the others). */
  private submitted: Pending[] = [];
  private inFlightCount = 0;
  private readonly crashes: CrashRecord[] = [];
  /** Every extent written (offset → longest length), for the read-back. */
  private readonly written = new Map<number, number>();
  private nextId = 0;
  /** Injected bug blk-cost-not-charged: submit_bio and bio_endio run free. */
  private readonly freeBlockLayer: boolean;
  /** Blocks of the checked reads handed to the safety checker. */
  private blocksHanded = 0;
  private readonly ids: number[] = [];
  /** Reads are checked only when every write carries verify content. */
  private checkable = true;
  private openPlug: BlkPlug | null = null;
  /** Virtual time of the last completion (progress, for the runner's stuck-run deadline). */
  lastCompletionNs = 0;

  constructor(private readonly engine: Engine, readonly inner: GenDisk, private readonly cpuCtx: CpuContext, private readonly o: HistoryTapOptions) {
    super(inner.name, inner.queue, cpuCtx, inner.driverData);
    this.content = new BlockContent(o.blockSize, o.prefilled);
    this.freeBlockLayer = engine.bugs.has('blk-cost-not-charged');
    this.safety = new OnlineSafety({ blockSize: o.blockSize, crashesPossible: o.crashesPossible, skipLastBlock: engine.bugs.has('safety-skips-block') });
    if (inner.queue.limits.writeCache) inner.queue.onStarted = tapStarted;
  }

  /** The driver took `rq`: its bios (or the FLUSH bio whose step it is) enter the driver's order. */
  started(rq: Request): void {
    const now = this.engine.now;
    if (rq.op === REQ_OP.FLUSH) {
      // A flush step: of a FLUSH bio (checked), or the pre/post flush of a PREFLUSH/FUA write.
      const p = pendingOf(rq.flushOwner);
      if (p && p.tap === this && p.orderFlush) this.flushOrder.flushStarted(p.orderFlush, now);
      return;
    }
    for (let i = 0; i < rq.nrBios; i++) {
      const p = pendingOf(rq.bios[i]);
      if (p && p.tap === this && p.orderWrite) this.flushOrder.writeStarted(p.orderWrite, now);
    }
  }

  get prefilled(): boolean {
    return this.o.prefilled;
  }

  override submitBio(bio: Bio, cpu?: number, plug: BlkPlug | null = null): void {
    const kind = kindOf(bio, this.o.prefilled);
    const now = this.engine.now;
    const p = new Pending(this, this.nextId++, kind, bio.sector * 512, bio.bytes, now, bio.endIo, bio.owner, cpu ?? this.cpuCtx.cpu);
    if (kind === 'read') p.read = this.safety.readIssued(p.id, p.offset, p.length, now);
    else if (kind === 'flush') {
      // Without a volatile write cache the block layer ends an empty FLUSH at once: nothing promised.
      if (this.inner.queue.limits.writeCache) p.orderFlush = this.flushOrder.flushIssued(p.id, now);
    } else p.orderWrite = this.flushOrder.writeIssued(p.id, p.offset, p.length, now);
    if (kind === 'trim') {
      p.write = this.safety.writeIssued(p.id, kind, p.offset, p.length, undefined, now);
      this.o.observer?.writeIssued(p.id, p.offset, p.length, undefined);
    }
    else if (kind !== 'flush' && kind !== 'read') {
      // WRITE_ZEROES (on a device that starts as zeros) writes the initial content, 0, to every block.
      const zeroes = bio.op === REQ_OP.WRITE_ZEROES;
      if (zeroes) this.ids.length = 0;
      if (zeroes) for (let n = p.length / this.o.blockSize; n > 0; n--) this.ids.push(INITIAL_CONTENT);
      else if (!bio.data || !this.content.ofWrite(bio.data, p.length, this.ids)) this.checkable = false;
      const known = zeroes || bio.data !== null;
      if (!known) this.ids.length = 0;
      p.write = this.safety.writeIssued(p.id, kind, p.offset, p.length, known ? this.ids : undefined, now);
      this.o.observer?.writeIssued(p.id, p.offset, p.length, known && this.checkable ? this.ids : undefined);
      if ((this.written.get(p.offset) ?? 0) < p.length) this.written.set(p.offset, p.length);
    }
    this.track(p);
    bio.owner = p;
    bio.endIo = tapEnded;
    this.pass(bio, cpu, plug ?? (this.o.plug ? this.eventPlug(p.core) : null));
  }

  /**
   * Hands the bio to the block layer. With costs, submit_bio's work runs on the submitting core
   * first (the bio reaches the queue when the core has done it); a plugged bio is added at once
   * and the core's work delays the unplug instead.
   */
  private pass(bio: Bio, cpu: number | undefined, plug: BlkPlug | null): void {
    const c = this.o.costs;
    const model = this.o.cpu;
    if (!c || !model || c.blkSubmitNs === 0 || this.freeBlockLayer) {
      if (cpu === undefined) this.inner.submitBio(bio, undefined, plug);
      else this.inner.submitBio(bio, cpu, plug);
      return;
    }
    const core = cpu ?? this.cpuCtx.cpu;
    if (plug) {
      model.run(core, c.blkSubmitNs, NOTHING, 'blk.submit');
      this.inner.submitBio(bio, core, plug);
    } else model.run(core, c.blkSubmitNs, () => this.inner.submitBio(bio, core, null), 'blk.submit');
  }

  /** The plug of the current engine event: finished after the event, once the core has done its submissions. */
  private eventPlug(core: number): BlkPlug {
    if (this.openPlug) return this.openPlug;
    const plug = this.inner.queue.startPlug();
    this.openPlug = plug;
    this.engine.schedule(0, () => {
      this.openPlug = null;
      const finish = (): void => this.inner.finishPlug(plug);
      if (this.o.cpu) this.o.cpu.run(core, 0, finish, 'blk.unplug');
      else finish();
    }, 'blk.unplug');
    return plug;
  }

  /** A server crash the checkers must know about (unflushed writes may be lost). */
  crash(atNs: number, server: string): void {
    this.crashes.push({ atNs, server });
    this.safety.crash(atNs);
    this.o.observer?.crash(atNs);
  }

  /**
   * The safety checker's verdict so far. The checker must have checked every block of every read
   * handed to it (counted here from the reads' lengths, not from what it returns): a shortfall is
   * a broken history check, reported as such.
   */
  safetyReport(): SafetyReport {
    const r = this.safety.report();
    if (r.blocksChecked === this.blocksHanded) return r;
    const message = `the safety checker checked ${r.blocksChecked} of the ${this.blocksHanded} blocks read`;
    const v: SafetyViolation = {
      kind: 'bad-history', block: -1, readId: undefined, readIssuedNs: undefined, readCompletedNs: undefined, seen: undefined,
      allowed: [], overwrittenBy: undefined, crashNs: undefined, message,
    };
    return { ...r, ok: false, violations: [...r.violations, v] };
  }

  /** The requests kept (see the header), those still in flight without a completion; no contents. */
  history(): History {
    const ops = this.ops.slice();
    for (const p of this.submitted) {
      if (p.done) continue;
      ops.push({ id: p.id, kind: p.kind, offset: p.offset, length: p.length, issuedNs: p.issuedNs, completedNs: undefined, ok: false });
    }
    ops.sort((a, b) => a.id - b.id);
    return { blockSize: this.o.blockSize, ops, crashes: this.crashes.slice() };
  }

  /** Extents (bytes, as written) of every block ever written, for a read-back. */
  writtenExtents(): { offset: number; length: number }[] {
    return [...this.written].map(([offset, length]) => ({ offset, length })).sort((a, b) => a.offset - b.offset);
  }

  /**
   * Reads back every extent ever written, `depth` at a time, then calls `done`: a lost write
   * that no later read happened to touch still shows up in the history.
   */
  readBack(depth: number, done: () => void): void {
    const todo = this.writtenExtents();
    let next = 0;
    let busy = 0;
    const issue = (bio: Bio): void => {
      const x = todo[next++]!;
      busy++;
      bio.set(REQ_OP.READ, x.offset / 512, x.length, bio.data && bio.data.length === x.length ? bio.data : new Uint8Array(x.length));
      this.submitBio(bio);
    };
    const end: BioEndIo = (bio) => {
      busy--;
      if (next < todo.length) issue(bio);
      else if (busy === 0) done();
    };
    if (todo.length === 0) {
      done();
      return;
    }
    for (let i = 0; i < depth && next < todo.length; i++) {
      const bio = new Bio();
      bio.endIo = end;
      issue(bio);
    }
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Keeps `p` for history() and inFlight; drops ended requests once they are most of the list. */
  private track(p: Pending): void {
    const list = this.submitted;
    if (list.length >= 64 && list.length > 2 * this.inFlightCount) this.submitted = list.filter((x) => !x.done);
    this.submitted.push(p);
    this.inFlightCount++;
  }

  /** The bio of a request of this tap ended below it (tapEnded). */
  ended(bio: Bio): void {
    const p = pendingOf(bio);
    if (!p || p.tap !== this) return;
    p.done = true;
    this.inFlightCount--;
    bio.owner = p.owner;
    const now = this.engine.now;
    this.lastCompletionNs = now;
    const ok = bio.status === 0;
    if (p.orderWrite) this.flushOrder.writeDone(p.orderWrite); // answered, whatever its outcome
    if (p.read) {
      const data = bio.data;
      const check = ok && data !== null && this.checkable;
      if (check) {
        this.content.ofRead(data, p.offset, p.length, this.ids);
        this.blocksHanded += p.length / this.o.blockSize;
      }
      this.safety.readDone(p.read, ok, check ? this.ids : undefined, now);
      if (ok) this.o.observer?.readDone(p.offset, p.length, p.issuedNs, check ? this.ids : undefined);
    } else if (p.write >= 0) {
      this.safety.writeDone(p.write, ok, now);
      this.o.observer?.writeDone(p.id, ok, now);
    } else {
      this.safety.flushDone(p.issuedNs, ok, now);
      if (p.orderFlush) this.flushOrder.flushDone(p.orderFlush, ok, now);
    }
    if (!ok || this.o.keepOps) {
      this.ops.push({ id: p.id, kind: p.kind, offset: p.offset, length: p.length, issuedNs: p.issuedNs, completedNs: now, ok, ...(ok ? {} : { errno: bio.status }) });
    }
    bio.endIo = p.endIo;
    const endIo = p.endIo;
    if (!endIo) return;
    const c = this.o.costs;
    // bio_endio's work on the submitting core, then the submitter sees the completion.
    if (c && this.o.cpu && c.blkCompleteNs > 0 && !this.freeBlockLayer) this.o.cpu.run(p.core, c.blkCompleteNs, () => endIo(bio), 'blk.complete');
    else endIo(bio);
  }
}

/** WRITE_ZEROES is a write of zeros, unless the device starts prefilled (zeros are then no known content). */
function kindOf(bio: Bio, prefilled: boolean): OpKind {
  switch (bio.op) {
    case REQ_OP.READ: return 'read';
    case REQ_OP.FLUSH: return 'flush';
    case REQ_OP.DISCARD: return 'trim';
    case REQ_OP.WRITE_ZEROES: return prefilled ? 'trim' : (bio.flags & REQ_FUA) !== 0 ? 'fua-write' : 'write';
    default: return (bio.flags & REQ_FUA) !== 0 ? 'fua-write' : 'write';
  }
}
