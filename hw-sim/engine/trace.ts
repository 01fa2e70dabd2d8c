import { createHash, type Hash } from 'node:crypto';
import { RecordEncoder } from './trace-encode.ts';
import { TraceShape } from './trace-shape.ts';
import type { Ns } from './time.ts';

export { TraceShape } from './trace-shape.ts';

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

/** Tags below this are filed in typed arrays (FiledIds); the NBD driver's tags are its queue slots. */
const DENSE_TAGS = 1 << 16;

/**
 * Request ids filed on one flow by cookie (generation << 32 | tag), kept in arrays by tag: a tag
 * carries one request at a time, so filing and taking allocate nothing (a Map churned per request).
 */
export class FiledIds {
  // Typed, not number[]: a cookie is a double (generation << 32), boxed and write-barriered per
  // store in a plain array. NaN: no cookie filed under the tag.
  private cookies = new Float64Array(64).fill(NaN);
  private ids = new Float64Array(64);
  /** Tags past DENSE_TAGS (a peer's own cookies can be anything): tag -> [cookie, id]. */
  private far: Map<number, [number, number]> | null = null;

  file(cookie: number, id: number): void {
    const tag = cookie % 0x1_0000_0000;
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
    const tag = cookie % 0x1_0000_0000;
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
    const tag = cookie % 0x1_0000_0000;
    if (tag >= DENSE_TAGS) {
      this.far!.delete(tag);
      return id;
    }
    this.cookies[tag] = NaN;
    return id;
  }
}

/** A field value of a shaped record (TraceBus.emitFields); undefined leaves the field out. */
export type TraceValue = number | string | boolean | null | readonly number[] | undefined;

/** Declares a hot record kind's fields, once per module (see TraceShape). */
export function traceShape(kind: string, keys: readonly string[]): TraceShape {
  return new TraceShape(kind, keys);
}

interface Subscription {
  readonly fn: TraceSubscriber;
  /** The kinds it reads; undefined: every kind. */
  readonly kinds: ReadonlySet<string> | undefined;
}

const NONE: readonly TraceSubscriber[] = [];

/**
 * The trace bus: every record gets the next sequence number, goes to the subscribers that read its
 * kind and into a running SHA-256 digest (over RecordEncoder's bytes). Disabled, it costs one branch per emit and digests nothing.
 */
export class TraceBus {
  enabled = true;
  /**
   * Trace context across hosts, never seen by the simulation: per flow (`addr:port` of the sender
   * as the receiver sees its peer), cookie → the sender's block request id. Each end looks its
   * flow's map up once per connection, so a request files and finds its id by number.
   */
  private readonly flows = new Map<string, FiledIds>();
  private seq = 0;
  private readonly subscriptions: Subscription[] = [];
  /** Subscribers per kind, in subscription order; rebuilt as subscriptions change. */
  private readonly byKind = new Map<string, readonly TraceSubscriber[]>();
  /** Bumped as subscriptions change (shapes keep their kind's subscribers by it). */
  private version = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly encoder = new RecordEncoder(this.hash);

  constructor(private readonly now: () => Ns) {}

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
   * Calls `fn` with every record, or only with those of `kinds`: a record no subscriber reads is
   * never built as an object. Returns the unsubscribe.
   */
  subscribe(fn: TraceSubscriber, kinds?: readonly string[]): () => void {
    const s: Subscription = { fn, kinds: kinds && new Set(kinds) };
    this.subscriptions.push(s);
    this.byKind.clear();
    this.version++;
    return () => {
      const i = this.subscriptions.indexOf(s);
      if (i >= 0) this.subscriptions.splice(i, 1);
      this.byKind.clear();
      this.version++;
    };
  }

  emit(src: string, kind: string, data?: TraceData): void {
    if (!this.enabled) return;
    const t = this.now();
    const seq = this.seq++;
    this.encoder.record(t, seq, src, kind, data);
    const subs = this.subscribersOf(kind);
    if (subs.length === 0) return;
    const r: TraceRecord = { t, seq, src, kind, data };
    for (let i = 0; i < subs.length; i++) subs[i]!(r);
  }

  /**
   * A record of a declared shape, its values in the shape's key order: the same line and record as
   * `emit(src, shape.kind, {k0: a, k1: b, ...})` (undefined values left out), without building the
   * data object unless a subscriber reads the kind.
   */
  emitFields(src: string, shape: TraceShape, a?: TraceValue, b?: TraceValue, c?: TraceValue, d?: TraceValue, e?: TraceValue,
    f?: TraceValue, g?: TraceValue, h?: TraceValue, i?: TraceValue, j?: TraceValue): void {
    if (!this.enabled) return;
    const t = this.now();
    const seq = this.seq++;
    // Values stay arguments: a list per record was most of the trace's garbage (a GC cost per request).
    if (!this.encoder.shaped(t, seq, src, shape, a, b, c, d, e, f, g, h, i, j)) this.encoder.fields(t, seq, src, shape, [a, b, c, d, e, f, g, h, i, j]);
    if (shape.readersOwner !== this || shape.readersVersion !== this.version) {
      shape.readersOwner = this;
      shape.readersVersion = this.version;
      shape.readers = this.subscribersOf(shape.kind);
    }
    const subs = shape.readers as readonly TraceSubscriber[];
    if (subs.length === 0) return;
    const r: TraceRecord = { t, seq, src, kind: shape.kind, data: shape.dataOf([a, b, c, d, e, f, g, h, i, j]) };
    for (let k = 0; k < subs.length; k++) subs[k]!(r);
  }

  /** Hex SHA-256 over every record so far. Reading it does not end the digest. */
  digest(): string {
    this.encoder.flush();
    return this.hash.copy().digest('hex');
  }

  private subscribersOf(kind: string): readonly TraceSubscriber[] {
    if (this.subscriptions.length === 0) return NONE;
    let l = this.byKind.get(kind);
    if (l === undefined) {
      l = this.subscriptions.filter((s) => s.kinds === undefined || s.kinds.has(kind)).map((s) => s.fn);
      this.byKind.set(kind, l);
    }
    return l;
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

