import { createSimActor, type Engine } from '../../../hw-sim/engine/index.ts';
import { NbdHandshake } from '../protocol/handshake.ts';
import type { HandshakeFailure, NegotiatedExport } from '../protocol/handshake-types.ts';
import {
  NBD_FLAG_CAN_MULTI_CONN, NBD_FLAG_READ_ONLY, NBD_FLAG_SEND_CACHE, NBD_FLAG_SEND_FLUSH, NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_TRIM, NBD_FLAG_SEND_WRITE_ZEROES,
} from '../protocol/uapi.ts';
import { EACCES, EIO, EPERM, ESHUTDOWN } from '../../../kernel/lib/errno.ts';
import { TransmissionSession, type TransmissionHost } from '../protocol/transmission.ts';
import { newFrameCounters, PayloadFraming, type FrameCounters } from '../protocol/transmission-frames.ts';
import type { FrameCpu } from '../protocol/frame-cost.ts';
import type { ExportInfo, Handshake, HandshakeOptions, HandshakeSink, ProtocolEngine } from '../protocol-port.ts';

/** The driver's ProtocolEngine over E4's sans-I/O handshake (traced on the engine clock) and reply decoder. */
export class SimProtocolEngine implements ProtocolEngine {
  private handshakes = 0;
  /** The handshake's full result behind each ExportInfo handed out. */
  private readonly negotiated = new WeakMap<ExportInfo, NegotiatedExport>();
  /** Payload-frame counts of every session of the device (compression, checksum failures, retries). */
  readonly frameCounters: FrameCounters = newFrameCounters();

  /**
   * `minTags`: sessions hold at least this many requests in flight (the driver passes its own tag
   * count per session too). `frameCpu`: compression and checksum work costs CPU on the client.
   */
  constructor(private readonly engine: Engine, private readonly device: string, private readonly minTags = 0, private readonly frameCpu?: FrameCpu) {}

  handshake(opts: HandshakeOptions, sink: HandshakeSink): Handshake {
    const name = `${this.device}/hs${this.handshakes++}`;
    let hs: NbdHandshake | null = null;
    hs = new NbdHandshake(
      {
        exportName: opts.exportName, tls: opts.tls, structuredReplies: opts.structuredReplies,
        ...(opts.extensions ? { extensions: opts.extensions } : {}),
        ...(opts.extensions?.extendedHeaders ? { extendedHeaders: true } : {}),
      },
      {
        send: (b) => sink.send(b),
        startTls: () => sink.startTls(),
        done: (status) => {
          const h = hs!;
          const r = h.result;
          if (status === 'ready' && r) {
            const info = exportInfoOf(r);
            this.negotiated.set(info, r);
            sink.ready(info);
          }
          else sink.failed(describeFailure(h.failure, status), errnoOfFailure(h.failure), isTransient(h.failure), !h.sealed);
        },
      },
      (machine, input) => createSimActor(this.engine, machine, { name, input }),
    );
    const h = hs;
    return {
      start: () => { h.start(); },
      feed: (b) => h.feed(b),
      tlsEstablished: () => h.tlsReady(),
      eof: () => h.eof(),
      takeLeftover: () => h.takeLeftover(),
    };
  }

  transmission(info: ExportInfo, host: TransmissionHost, generation: number, tags: number): TransmissionSession {
    const x = this.negotiated.get(info);
    if (!x) throw new Error(`${this.device}: transmission for an export this engine did not negotiate`);
    const cpu = this.frameCpu;
    let session: TransmissionSession | null = null;
    // A read's data is usable once the CPU has decompressed and verified it: its completion waits for that work.
    // Without payload frames there is no such work: the session talks to the host directly.
    const costed: TransmissionHost = !cpu || !PayloadFraming.inForce(x) ? host : {
      send: (b, more) => host.send(b, more),
      complete: (req) => {
        const ns = session?.frames?.takeRxCpu(req.tag) ?? 0;
        // A connection lost meanwhile: the driver requeued the request, so this late completion is dropped.
        if (ns > 0) cpu.charge(ns, () => { if (session!.state === 'open' || session!.state === 'draining') host.complete(req); });
        else host.complete(req);
      },
      ...(host.stateChanged ? { stateChanged: (st, why) => host.stateChanged!(st, why) } : {}),
    };
    session = new TransmissionSession(x, costed, {
      generation, maxInFlight: Math.max(tags, this.minTags), frameCounters: this.frameCounters,
      skipChecksumVerify: this.engine.bugs.has('checksum-verify-skipped'),
      skipHeaderCheck: this.engine.bugs.has('header-checksum-skipped'),
      ...(cpu ? { frameCpu: cpu } : {}),
      ignoreChunkOffset: this.engine.bugs.has('chunk-offset-ignored'),
      acceptStaleGeneration: this.engine.bugs.has('stale-generation-accepted'),
    });
    return session;
  }
}

export function exportInfoOf(r: NegotiatedExport): ExportInfo {
  const f = r.transmissionFlags;
  return {
    name: r.exportName,
    size: r.size,
    transmissionFlags: f,
    canFlush: (f & NBD_FLAG_SEND_FLUSH) !== 0,
    canFua: (f & NBD_FLAG_SEND_FUA) !== 0,
    canTrim: (f & NBD_FLAG_SEND_TRIM) !== 0,
    canWriteZeroes: (f & NBD_FLAG_SEND_WRITE_ZEROES) !== 0,
    canCache: (f & NBD_FLAG_SEND_CACHE) !== 0,
    canMultiConn: (f & NBD_FLAG_CAN_MULTI_CONN) !== 0,
    readOnly: (f & NBD_FLAG_READ_ONLY) !== 0,
    structuredReplies: r.structuredReplies,
    minBlock: r.minBlock,
    preferredBlock: r.prefBlock,
    maxBlock: r.maxPayload,
    description: r.description,
    ...(r.udp ? { udp: r.udp } : {}),
    ...(r.checksum ? { checksum: r.checksum } : {}),
  };
}

function describeFailure(f: HandshakeFailure | null, status: string): string {
  return f ? `handshake failed (${f.kind}): ${f.message}` : `handshake ended ${status}`;
}

/**
 * Only a well-formed refusal (an NBD_REP_ERR_* reply, TLS refused or failed) is final. A reply
 * that is malformed or out of place, or a server that hangs up mid-negotiation, may be damage
 * below TCP's checksum or a crash: the connection is retried with the usual backoff.
 */
function isTransient(f: HandshakeFailure | null): boolean {
  return f?.kind === 'protocol' || f?.kind === 'eof';
}

function errnoOfFailure(f: HandshakeFailure | null): number {
  switch (f?.kind) {
    case 'policy': return EPERM;
    case 'tls-required': case 'tls-unavailable': case 'tls-failed': return EACCES;
    case 'shutdown': return ESHUTDOWN;
    default: return EIO;
  }
}
