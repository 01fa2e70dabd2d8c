/**
 * The operation history, recorded at the block-device boundary (submit_bio / bio end_io) and
 * independent of the system under test: what each write carried and what each read returned is
 * read from the data itself (the workload's verify headers), not from any driver state.
 * Content ids for the checkers: verify content id + 1 per 512-byte block; 0 = zeros (never
 * written); -1 = bytes that are no verify chunk at all.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import { Bio, type BioEndIo } from '../../kernel/block/bio.ts';
import { GenDisk } from '../../kernel/block/gendisk.ts';
import type { BlkPlug } from '../../kernel/block/queue.ts';
import { REQ_FUA, REQ_OP } from '../../kernel/block/types.ts';
import type { CpuContext } from '../../kernel/core/cpu-context.ts';
import type { CrashRecord, History, OpKind, OpRecord } from '../checkers/history.ts';
import { CHUNK, fillChunk } from '../workload/verify.ts';
import { isPrefillChunk } from '../../hw-sim/disk/prefill.ts';

export const HISTORY_BLOCK = CHUNK;
const MAGIC = 0x4f525646;
const GARBAGE = -1;

interface Pending {
  id: number;
  kind: OpKind;
  offset: number;
  length: number;
  issuedNs: number;
  written: number[] | undefined;
  endIo: BioEndIo | null;
}

/** A gendisk view that records every bio before passing it on; the queue is the real disk's. */
export class HistoryTap extends GenDisk {
  private readonly ops: OpRecord[] = [];
  private readonly pending = new Map<Bio, Pending>();
  private readonly crashes: CrashRecord[] = [];
  private nextId = 0;
  private readonly scratch = new Uint8Array(CHUNK);
  /** Reads are checked only when every write carries verify content. */
  private checkable = true;
  private readonly onEnd: BioEndIo = (bio) => this.ended(bio);
  /** Virtual time of the last completion (progress, for the runner's stuck-run deadline). */
  lastCompletionNs = 0;

  /**
   * The device starts with the prefill pattern (hw-sim/disk/prefill.ts): a pattern chunk at its
   * own offset is the initial content, and zeros are not.
   */
  prefilled = false;

  constructor(private readonly engine: Engine, readonly inner: GenDisk, ctx: CpuContext) {
    super(inner.name, inner.queue, ctx, inner.driverData);
  }

  /** Jobs asked for FUA writes (`fua = true`): every write bio gets REQ_FUA on its way down. */
  fuaWrites = false;

  override submitBio(bio: Bio, cpu?: number, plug: BlkPlug | null = null): void {
    if (this.fuaWrites && bio.op === REQ_OP.WRITE) bio.flags |= REQ_FUA;
    const kind = kindOf(bio);
    const p: Pending = {
      id: this.nextId++, kind, offset: bio.sector * 512, length: bio.bytes, issuedNs: this.engine.now,
      written: undefined, endIo: bio.endIo,
    };
    if ((kind === 'write' || kind === 'fua-write') && bio.data) p.written = this.contentOf(bio.data, p.offset, p.length, true);
    this.pending.set(bio, p);
    bio.endIo = this.onEnd;
    if (cpu === undefined) this.inner.submitBio(bio, undefined, plug);
    else this.inner.submitBio(bio, cpu, plug);
  }

  /** A server crash the checkers must know about (unflushed writes may be lost). */
  crash(atNs: number, server: string): void {
    this.crashes.push({ atNs, server });
  }

  /** Every operation so far; those still in flight have no completion. */
  history(): History {
    const ops = this.ops.slice();
    for (const p of this.pending.values()) {
      ops.push({ id: p.id, kind: p.kind, offset: p.offset, length: p.length, issuedNs: p.issuedNs, completedNs: undefined, ok: false, ...(p.written ? { written: p.written } : {}) });
    }
    ops.sort((a, b) => a.id - b.id);
    return { blockSize: HISTORY_BLOCK, ops, crashes: this.crashes.slice() };
  }

  /** Offsets (bytes, 4 KiB-aligned runs as written) of every block ever written, for a read-back. */
  writtenExtents(): { offset: number; length: number }[] {
    const seen = new Set<number>();
    const out: { offset: number; length: number }[] = [];
    for (const op of this.ops) {
      if ((op.kind !== 'write' && op.kind !== 'fua-write') || seen.has(op.offset)) continue;
      seen.add(op.offset);
      out.push({ offset: op.offset, length: op.length });
    }
    return out.sort((a, b) => a.offset - b.offset);
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
    return this.pending.size;
  }

  private ended(bio: Bio): void {
    const p = this.pending.get(bio);
    if (!p) return;
    this.pending.delete(bio);
    this.lastCompletionNs = this.engine.now;
    const ok = bio.status === 0;
    const rec: OpRecord = {
      id: p.id, kind: p.kind, offset: p.offset, length: p.length, issuedNs: p.issuedNs, completedNs: this.engine.now, ok,
      ...(ok ? {} : { errno: bio.status }),
      ...(p.written ? { written: p.written } : {}),
      ...(p.kind === 'read' && ok && bio.data && this.checkable ? { seen: this.contentOf(bio.data, p.offset, p.length, false) } : {}),
    };
    this.ops.push(rec);
    bio.endIo = p.endIo;
    if (p.endIo) p.endIo(bio);
  }

  /** Content id per block of `data` at device offset `offset`. */
  private contentOf(data: Uint8Array, offset: number, length: number, writing: boolean): number[] {
    const out: number[] = [];
    for (let at = 0; at < length; at += CHUNK) {
      const c = this.chunkContent(data, at, offset + at);
      if (writing && c <= 0) this.checkable = false;
      out.push(c);
    }
    return out;
  }

  private chunkContent(data: Uint8Array, at: number, devOff: number): number {
    if (u32(data, at) !== MAGIC) {
      if (this.prefilled) return isPrefillChunk(data, at, devOff) ? 0 : GARBAGE;
      for (let i = 0; i < CHUNK; i++) if (data[at + i] !== 0) return GARBAGE;
      return 0;
    }
    const job = u32(data, at + 4);
    const cid = u32(data, at + 8) + u32(data, at + 12) * 4294967296;
    // A chunk is genuine when regenerating it from its header gives the same bytes.
    fillChunk(this.scratch, 0, job, cid, devOff);
    for (let i = 0; i < CHUNK; i++) if (data[at + i] !== this.scratch[i]) return GARBAGE;
    return cid + 1;
  }
}

function kindOf(bio: Bio): OpKind {
  switch (bio.op) {
    case REQ_OP.READ: return 'read';
    case REQ_OP.FLUSH: return 'flush';
    case REQ_OP.DISCARD:
    case REQ_OP.WRITE_ZEROES: return 'trim';
    default: return (bio.flags & REQ_FUA) !== 0 ? 'fua-write' : 'write';
  }
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

