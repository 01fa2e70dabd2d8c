import { createHash } from 'node:crypto';
import { FAST_ROOM, FAST_TAIL, RecordEncoder } from './trace-encode.ts';
import { TraceShape } from './trace-shape.ts';
import { TraceSource } from './trace-source.ts';
import { numAt, refAt, type TraceValue } from './trace-bytes.ts';
import { BUF_BYTES } from './trace-values.ts';
import { TraceHash } from './trace-hash.ts';
import type { Ns } from './time.ts';

export { TraceShape } from './trace-shape.ts';
export { TraceSource, traceSource } from './trace-source.ts';

/** Data carried by a record: plain JSON values only, so the digest is the same on any machine. */
export type TraceData = Record<string, unknown> | undefined;

/** One externally visible step of the simulation. */
export interface TraceRecord {
  readonly t: Ns;
  readonly seq: number;
  /** Who did it: `client/nic0`, `server-a/tcp`, `nbd0/conn1`. */
  readonly src: string;
  /** What happened: `irq.raise`, `tx`, `state`, `rq.complete`. */
  readonly kind: string;
  readonly data: TraceData;
}

export type TraceSubscriber = (r: TraceRecord) => void;

// shapedStart flushes past 7168 bytes, spelled as a literal (a module constant is loaded and checked per record).
if (BUF_BYTES - FAST_ROOM !== 7168) throw new Error('trace: shapedStart flushes past BUF_BYTES - FAST_ROOM');

/** Tags below this are filed in typed arrays (FiledIds); the NBD driver's tags are its queue slots. */
const DENSE_TAGS = 1 << 16;

/**
 * Request ids filed on one flow by cookie (generation << 32 | tag), kept in arrays by tag: a tag
 * carries one request at a time, so filing and taking allocate nothing (a Map churned per request).
 * A cookie is a whole number in [0, 2^64) (the protocol's two u32 halves): its tag is `cookie >>> 0`,
 * the low 32 bits as `% 2^32` gives them, without the float remainder (a C call per use).
 */
export class FiledIds {
  // Typed, not number[]: a cookie is a double (generation << 32), boxed and write-barriered per
  // store in a plain array. NaN: no cookie filed under the tag.
  private cookies = new Float64Array(64).fill(NaN);
  private ids = new Float64Array(64);
  /** Tags past DENSE_TAGS (a peer's own cookies can be anything): tag -> [cookie, id]. */
  private far: Map<number, [number, number]> | null = null;

  file(cookie: number, id: number): void {
    const tag = cookie >>> 0;
    if (tag >= DENSE_TAGS) {
      (this.far ??= new Map()).set(tag, [cookie, id]);
      return;
    }
    if (tag >= this.cookies.length) this.grow(tag);
    this.cookies[tag] = cookie;
    this.ids[tag] = id;
  }

  private grow(tag: number): void {
    const n = Math.max(2 * this.cookies.length, tag + 1);
    const cookies = new Float64Array(n).fill(NaN);
    cookies.set(this.cookies);
    const ids = new Float64Array(n);
    ids.set(this.ids);
    this.cookies = cookies;
    this.ids = ids;
  }

  /** The id filed under `cookie`, kept; undefined if none is. */
  idOf(cookie: number): number | undefined {
    const tag = cookie >>> 0;
    if (tag >= DENSE_TAGS) {
      const e = this.far?.get(tag);
      return e !== undefined && e[0] === cookie ? e[1] : undefined;
    }
    return this.cookies[tag] === cookie ? this.ids[tag] : undefined;
  }

  /** The id filed under `cookie`, forgotten as it is taken; undefined if none is. */
  take(cookie: number): number | undefined {
    const id = this.idOf(cookie);
    if (id === undefined) return undefined;
    const tag = cookie >>> 0;
    if (tag >= DENSE_TAGS) {
      this.far!.delete(tag);
      return id;
    }
    this.cookies[tag] = NaN;
    return id;
  }
}

export type { TraceValue };

/** Declares a hot record kind's fields, once per module (see TraceShape). */
export function traceShape(kind: string, keys: readonly string[]): TraceShape {
  return new TraceShape(kind, keys);
}

/**
 * Per kind, the field that decides whether a subscriber reads a record of that kind, and the test
 * its value must pass (undefined when the record lacks it): records a subscriber would ignore are
 * not built for it.
 */
export type TraceWhere = Readonly<Record<string, readonly [key: string, test: (v: unknown) => boolean]>>;

interface Subscription {
  readonly fn: TraceSubscriber;
  /** The kinds it reads; undefined: every kind. */
  readonly kinds: ReadonlySet<string> | undefined;
  readonly where: TraceWhere | undefined;
}

/** A kind's subscribers in subscription order, each with its field test (key '' and test null: none). */
interface Readers {
  readonly fns: readonly TraceSubscriber[];
  readonly keys: readonly string[];
  readonly tests: readonly (((v: unknown) => boolean) | null)[];
}

const NONE: Readers = { fns: [], keys: [], tests: [] };

/** Subscription versions, counted across buses: a version names one bus's subscribers at one time. */
let versions = 0;

/**
 * The trace bus: every record gets the next sequence number, goes to the subscribers that read its
 * kind and into a running SHA-256 digest (over RecordEncoder's bytes; a long trace's is hashed on a worker thread, TraceHash). Disabled, it costs one branch per emit and digests nothing.
 * It is its own encoder: a shaped record is written by its shape's writer (TraceShape.emit) straight into the buffer.
 */
export class TraceBus extends RecordEncoder<TraceHash> {
  enabled = true;
  /**
   * Trace context across hosts, never seen by the simulation: per flow (`addr:port` of the sender
   * as the receiver sees its peer), cookie → the sender's block request id. Each end looks its
   * flow's map up once per connection, so a request files and finds its id by number.
   */
  private readonly flows = new Map<string, FiledIds>();
  /** Sources of emitFields, by name. */
  private readonly sources = new Map<string, TraceSource>();
  private seq = 0;
  private readonly subscriptions: Subscription[] = [];
  /** Subscribers per kind, in subscription order; rebuilt as subscriptions change. */
  private readonly byKind = new Map<string, Readers>();
  /** Renewed as subscriptions change (shapes keep their kind's subscribers by it; the writers read it). */
  version = ++versions;
  /** The shaped record being written: its time, number, and where its count of values goes. */
  private shapedT = 0;
  private shapedSeq = 0;
  private shapedCountAt = 0;

  constructor(private readonly now: () => Ns) {
    super(new TraceHash());
  }

  /** Records emitted so far. */
  get count(): number {
    return this.seq;
  }

  /** The request ids filed on one flow (see `flows`), created on first use. */
  requestIdsOf(flow: string): FiledIds {
    let m = this.flows.get(flow);
    if (m === undefined) this.flows.set(flow, (m = new FiledIds()));
    return m;
  }

  /**
   * Calls `fn` with every record, or only with those of `kinds` (and of those, only the ones whose
   * field passes `where`'s test for their kind): a record no subscriber reads is never built as an
   * object. Returns the unsubscribe.
   */
  subscribe(fn: TraceSubscriber, kinds?: readonly string[], where?: TraceWhere): () => void {
    const s: Subscription = { fn, kinds: kinds && new Set(kinds), where };
    this.subscriptions.push(s);
    this.byKind.clear();
    this.version = ++versions;
    return () => {
      const i = this.subscriptions.indexOf(s);
      if (i >= 0) this.subscriptions.splice(i, 1);
      this.byKind.clear();
      this.version = ++versions;
    };
  }

  emit(src: string, kind: string, data?: TraceData): void {
    if (!this.enabled) return;
    const t = this.now();
    const seq = this.seq++;
    this.record(t, seq, src, kind, data);
    const rd = this.readersOf(kind);
    let r: TraceRecord | null = null;
    for (let i = 0; i < rd.fns.length; i++) {
      const test = rd.tests[i];
      if (test != null && !test(data === undefined ? undefined : data[rd.keys[i]!])) continue;
      r ??= { t, seq, src, kind, data };
      rd.fns[i]!(r);
    }
  }

  /**
   * A record of a declared shape from the source named `src`: what `shape.emit(this, source, ...)`
   * writes (see TraceShape.emit), the source looked up by name. For emitters that hold no TraceSource.
   */
  emitFields(src: string, shape: TraceShape, a?: TraceValue, b?: TraceValue, c?: TraceValue, d?: TraceValue, e?: TraceValue,
    f?: TraceValue, g?: TraceValue, h?: TraceValue, i?: TraceValue, j?: TraceValue): void {
    if (this.enabled !== true) return;
    let s = this.sources.get(src);
    if (s === undefined) this.sources.set(src, (s = new TraceSource(src)));
    shape.emit(this, s, a, b, c, d, e, f, g, h, i, j);
  }

  /**
   * Takes a shaped record's time and number and writes its header, source, kind and object tag
   * once the shape's kind and source have numbers (`fields` gives them); returns where its values
   * go, or -1 with nothing written (shapedSlow writes it).
   */
  shapedStart(src: TraceSource, shape: TraceShape): number {
    const t = this.now();
    const seq = this.seq++;
    this.shapedT = t;
    this.shapedSeq = seq;
    const no = this.no;
    if (shape.owner !== no || shape.kindId < 0 || src.owner !== no) return -1;
    const srcId = src.id;
    if (this.at > 7168) this.flush(); // BUF_BYTES - FAST_ROOM as a literal (checked at load, above FiledIds)
    const kindId = shape.kindId;
    const dt = t - this.lastT;
    // The common header written here, the rest by shapedHead (kept apart, so that this inlines into the writers).
    if (seq !== this.lastSeq + 1 || dt >>> 0 !== dt || (srcId | kindId) >= 0x100) return this.shapedHead(t, seq, srcId, kindId);
    const view = this.view;
    const o = this.at;
    // Tags as literals (see trace-bytes.ts): HEAD 0x80 | S_NEXT 0x04 | T_SAME 0x01 or T_DELTA 0x02 (u32 LE);
    // source and kind by number (S_REF8 0x10); V_OBJ 0x0a, then the count of values kept (shapedEnd).
    if (dt === 0) {
      view.setUint32(o, 0x85 | 0x1000 | (srcId << 16) | 0x1000_0000, true);
      view.setUint16(o + 4, kindId | 0x0a00, true);
      this.shapedCountAt = o + 6;
      return o + 10;
    }
    this.buf[o] = 0x86;
    view.setUint32(o + 1, dt, true);
    view.setUint32(o + 5, 0x10 | (srcId << 8) | 0x10_0000 | (kindId << 24), true);
    this.buf[o + 9] = 0x0a;
    this.shapedCountAt = o + 10;
    return o + 14;
  }

  /** shapedStart's header when the time is not a u32 step, the number not the next or a number past one byte. */
  private shapedHead(t: Ns, seq: number, srcId: number, kindId: number): number {
    const buf = this.buf;
    const view = this.view;
    let o = this.at;
    const dt = t - this.lastT;
    const next = seq === this.lastSeq + 1;
    if (dt === 0) buf[o++] = next ? 0x85 : 0x81;
    else if (dt >>> 0 === dt) {
      buf[o] = next ? 0x86 : 0x82;
      view.setUint32(o + 1, dt, true);
      o += 5;
    } else {
      buf[o] = next ? 0x84 : 0x80;
      view.setFloat64(o + 1, t, true);
      o += 9;
    }
    if (!next) {
      view.setFloat64(o, seq, true);
      o += 8;
    }
    o = refAt(buf, view, o, srcId);
    o = refAt(buf, view, o, kindId);
    buf[o] = 0x0a; // V_OBJ
    this.shapedCountAt = o + 1;
    return o + 5;
  }

  /** A value of a shaped record other than a whole number in [0, 2^32) at `o`; returns the end, or -1 (left to shapedSlow). */
  shapedValue(v: unknown, o: number, shape: TraceShape): number {
    return typeof v === 'number' ? numAt(this.buf, this.view, o, v) : this.putOther(v, o, this.buf.length - FAST_TAIL, shape);
  }

  /** Ends a shaped record whose values end at `o`: their count and key list; false if the list has no number yet (nothing kept). */
  shapedEnd(o: number, mask: number, kept: number, shape: TraceShape): boolean {
    let list = shape.lastListId;
    if (mask !== shape.lastMask) {
      list = shape.listIds[mask]!;
      if (list < 0) return false;
      shape.lastMask = mask;
      shape.lastListId = list;
    }
    const view = this.view;
    view.setUint32(this.shapedCountAt, kept, true);
    if (list < 0x100) {
      view.setUint16(o, 0x10 | (list << 8), true); // S_REF8
      this.at = o + 2;
    } else this.at = refAt(this.buf, view, o, list);
    this.lastT = this.shapedT;
    this.lastSeq = this.shapedSeq;
    return true;
  }

  /** A shaped record the writer did not write in one pass (`vals` in the shape's key order). */
  shapedSlow(src: TraceSource, shape: TraceShape, vals: readonly TraceValue[]): void {
    this.fields(this.shapedT, this.shapedSeq, src, shape, vals);
  }

  /** A shaped record to its kind's subscribers, if any. */
  shapedRead(src: TraceSource, shape: TraceShape, a?: TraceValue, b?: TraceValue, c?: TraceValue, d?: TraceValue, e?: TraceValue,
    f?: TraceValue, g?: TraceValue, h?: TraceValue, i?: TraceValue, j?: TraceValue): void {
    if (shape.readersVersion !== this.version) this.keepReaders(shape);
    if (shape.readers.length > 0) this.deliver(this.shapedT, this.shapedSeq, src.name, shape, a, b, c, d, e, f, g, h, i, j);
  }

  /**
   * A shaped record to its kind's subscribers whose field test passes; its data object (and the list
   * of its values) is built once, if any reads it.
   */
  private deliver(t: Ns, seq: number, src: string, shape: TraceShape, a: TraceValue, b: TraceValue, c: TraceValue, d: TraceValue,
    e: TraceValue, f: TraceValue, g: TraceValue, h: TraceValue, i: TraceValue, j: TraceValue): void {
    const fns = shape.readers as readonly TraceSubscriber[];
    let r: TraceRecord | null = null;
    for (let k = 0; k < fns.length; k++) {
      const test = shape.readerTests[k];
      if (test != null) {
        const at = shape.readerFields[k]!;
        const v = at < 5 ? (at < 2 ? (at === 0 ? a : at === 1 ? b : undefined) : at === 2 ? c : at === 3 ? d : e) : at < 7 ? (at === 5 ? f : g) : at === 7 ? h : at === 8 ? i : j;
        if (!test(v)) continue;
      }
      r ??= { t, seq, src, kind: shape.kind, data: shape.dataOf([a, b, c, d, e, f, g, h, i, j]) };
      fns[k]!(r);
    }
  }

  /** Keeps the shape's subscribers as of now on it (apart from emitFields: a closure there costs a context per record). */
  private keepReaders(shape: TraceShape): void {
    const rd = this.readersOf(shape.kind);
    shape.readersVersion = this.version;
    shape.readers = rd.fns;
    shape.readerTests = rd.tests;
    shape.readerFields = rd.keys.map((k) => shape.keys.indexOf(k));
  }

  /** Hex SHA-256 over every record so far. Reading it does not end the digest. */
  digest(): string {
    this.flush();
    return this.hash.digest();
  }

  private readersOf(kind: string): Readers {
    if (this.subscriptions.length === 0) return NONE;
    let rd = this.byKind.get(kind);
    if (rd === undefined) {
      const subs = this.subscriptions.filter((s) => s.kinds === undefined || s.kinds.has(kind));
      const where = subs.map((s) => s.where?.[kind]);
      rd = { fns: subs.map((s) => s.fn), keys: where.map((w) => w?.[0] ?? ''), tests: where.map((w) => w?.[1] ?? null) };
      this.byKind.set(kind, rd);
    }
    return rd;
  }
}

/**
 * The digest of a trace's records (a JSONL trace read back): the digest the run that wrote them
 * printed, as both take each record's JSON value (RecordEncoder).
 */
export function digestOfRecords(records: Iterable<TraceRecord>): string {
  const hash = createHash('sha256');
  const enc = new RecordEncoder(hash);
  for (const r of records) enc.record(r.t, r.seq, r.src, r.kind, r.data);
  enc.flush();
  return hash.digest('hex');
}

/** Canonical one-line form of a record: what the stepper prints and runs are compared by. */
export function serialiseRecord(r: TraceRecord): string {
  return `${r.t} ${r.seq} ${r.src} ${r.kind} ${r.data === undefined ? '' : JSON.stringify(r.data)}\n`;
}

