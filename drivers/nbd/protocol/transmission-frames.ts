/**
 * The client's side of payload frames (docs/nbd-extensions.md): frames WRITE data (compressed
 * when that saves bytes, CRC-32C when checksums are on), keeps each write's frame until its reply
 * so a rejected write is resent as it was, unframes read data into the request's buffer, and
 * counts what the extension did. TransmissionSession owns one per connection when negotiated.
 */
import type { NegotiatedExport } from './handshake-types.ts';
import { frame, unframe, type FrameHeader } from './payload-frame.ts';
import { headerCostNs, receiveCostNs, sendCostNs, type FrameCpu } from './frame-cost.ts';
import { resetSlot, type FrameCounters, type Slot } from './transmission-types.ts';

/** Attempts after the first when a checksum fails: then the request fails with EIO. */
export const CHECKSUM_RETRIES = 3;

export type { FrameCounters } from './transmission-types.ts';

export const newFrameCounters = (): FrameCounters => ({ txRawBytes: 0, txWireBytes: 0, rxRawBytes: 0, rxWireBytes: 0, checksumFailures: 0, checksumRetries: 0, headerChecksumFailures: 0, cpuNs: 0 });

export class PayloadFraming {
  readonly compression: number;
  readonly checksum: number;
  /** Per tag: the frame of the write in flight, kept for a resend. */
  private readonly held: ({ header: Uint8Array; body: Uint8Array } | null)[];
  /** Per tag: CPU time of unframing its read data, charged before its completion (takeRxCpu). */
  private readonly rxCpu: number[];
  /** Charges frame work on the client's CPU model (absent: free). */
  cpu: FrameCpu | null = null;

  /**
   * `counters`: where to count (a device passes one record to all its sessions so the counts
   * outlive reconnects). `skipVerify`: the injected bug checksum-verify-skipped.
   */
  constructor(x: NegotiatedExport, tags: number, readonly counters: FrameCounters = newFrameCounters(), private readonly skipVerify = false) {
    this.compression = x.compression;
    this.checksum = x.checksum;
    this.held = new Array<null>(tags).fill(null);
    this.rxCpu = new Array<number>(tags).fill(0);
  }

  /** The unframing CPU time of `tag`'s reply (its attempts together), reset to 0. */
  takeRxCpu(tag: number): number {
    const ns = this.rxCpu[tag] ?? 0;
    this.rxCpu[tag] = 0;
    return ns;
  }

  /** Whether a session of this export carries its payloads in frames: compression or checksums negotiated. */
  static inForce(x: NegotiatedExport): boolean {
    return x.compression !== 0 || x.checksum !== 0;
  }

  /** Largest frame body accepted: the maximum payload plus an eighth (docs/nbd-extensions.md). */
  static maxWire(x: NegotiatedExport): number {
    return x.maxPayload + (x.maxPayload >>> 3);
  }

  /**
   * Header checksums of one request (its header sealed, its reply's verified): charged with its
   * completion, like the unframing of its read data. `replyHeader`: 16 (simple), 20 or 32 bytes.
   */
  chargeHeaders(tag: number, requestHeader: number, replyHeader: number): void {
    if (!this.cpu || this.checksum === 0) return;
    const ns = headerCostNs(this.cpu.costs, requestHeader, replyHeader);
    this.counters.cpuNs += ns;
    this.rxCpu[tag] = (this.rxCpu[tag] ?? 0) + ns;
  }

  /** Sends a write's frame (header, then body) after its request header. */
  sendWrite(tag: number, offset: number, data: Uint8Array, send: (b: Uint8Array) => void): void {
    const f = frame(data, this.compression, this.checksum, offset);
    this.held[tag] = f;
    if (this.cpu) {
      // The core is busy compressing and checksumming (later work on it waits); the send is not held back.
      const ns = sendCostNs(this.cpu.costs, this.compression, this.checksum, data.length);
      this.counters.cpuNs += ns;
      if (ns > 0) this.cpu.charge(ns, () => {});
    }
    this.counters.txRawBytes += data.length;
    this.counters.txWireBytes += f.header.length + f.body.length;
    send(f.header);
    send(f.body);
  }

  /** Sends the held frame of `tag` again (after its request header). */
  resendWrite(tag: number, send: (b: Uint8Array) => void): void {
    const f = this.held[tag]!;
    this.counters.txWireBytes += f.header.length + f.body.length;
    send(f.header);
    send(f.body);
  }

  /**
   * After a reply, whether `s` failed its checksum: '' (it did not), 'retry' (counted, slot reset
   * for the next attempt) or 'give-up' (CHECKSUM_RETRIES attempts after the first all failed).
   */
  verdict(s: Slot): '' | 'retry' | 'give-up' {
    if (!s.corrupt && !s.rejected) return '';
    this.counters.checksumFailures++;
    if (s.retries >= CHECKSUM_RETRIES) {
      s.corrupt = s.rejected = false;
      return 'give-up';
    }
    s.retries++;
    this.counters.checksumRetries++;
    resetSlot(s);
    return 'retry';
  }

  release(tag: number): void {
    this.held[tag] = null;
  }

  /** Unframes read data into `dst`: '' when good, 'corrupt' on a checksum failure, else a framing fault. */
  receive(tag: number, offset: number, h: FrameHeader, body: Uint8Array, dst: Uint8Array): string {
    this.counters.rxWireBytes += 16 + body.length;
    if (this.cpu) {
      const ns = receiveCostNs(this.cpu.costs, this.compression, this.checksum, h);
      this.counters.cpuNs += ns;
      this.rxCpu[tag] = (this.rxCpu[tag] ?? 0) + ns;
    }
    const r = unframe(h, body, dst, this.compression, this.skipVerify ? 0 : this.checksum, offset);
    if (r === '') this.counters.rxRawBytes += dst.length;
    return r;
  }
}
