import { createHash, type Hash } from 'node:crypto';
import type { Ns } from './time.ts';

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

/**
 * The trace bus: every record gets the next sequence number, goes to the subscribers and into a
 * running SHA-256 digest. Disabled, it costs one branch per emit and digests nothing.
 */
export class TraceBus {
  enabled = true;
  private seq = 0;
  private readonly subscribers: TraceSubscriber[] = [];
  private hash: Hash = createHash('sha256');
  private pending = '';

  constructor(private readonly now: () => Ns) {}

  /** Records emitted so far. */
  get count(): number {
    return this.seq;
  }

  subscribe(fn: TraceSubscriber): () => void {
    this.subscribers.push(fn);
    return () => {
      const i = this.subscribers.indexOf(fn);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  emit(src: string, kind: string, data?: TraceData): void {
    if (!this.enabled) return;
    const r: TraceRecord = { t: this.now(), seq: this.seq++, src, kind, data };
    this.pending += serialiseRecord(r);
    if (this.pending.length > 65536) this.flushHash();
    for (let i = 0; i < this.subscribers.length; i++) this.subscribers[i]!(r);
  }

  /** Hex SHA-256 over every record so far. Reading it does not end the digest. */
  digest(): string {
    this.flushHash();
    return this.hash.copy().digest('hex');
  }

  private flushHash(): void {
    if (this.pending.length > 0) {
      this.hash.update(this.pending);
      this.pending = '';
    }
  }
}

/** Canonical one-line form of a record: what the digest covers and what JSONL traces hold. */
export function serialiseRecord(r: TraceRecord): string {
  return `${r.t} ${r.seq} ${r.src} ${r.kind} ${r.data === undefined ? '' : JSON.stringify(r.data)}\n`;
}
