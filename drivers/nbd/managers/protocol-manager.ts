import type { ConnectionSlot } from './connection-slot.ts';
import type { ReplySink } from '../io-path.ts';
import type { ExportInfo, HandshakeOptions, HandshakeSink, ProtocolEngine, TransmissionPort } from '../protocol-port.ts';
import type { TransmissionHost } from '../protocol/transmission.ts';
import type { NbdCmd } from '../request.ts';
import type { ExtensionRequest } from '../protocol/handshake-types.ts';
import type { FrameCounters } from '../protocol/transmission-frames.ts';

/**
 * The protocol engine per connection: a handshake until the export is negotiated, then a
 * transmission session. It routes received bytes to whichever is current and does no I/O.
 */
export class ProtocolManager {
  handshakesStarted = 0;
  handshakesDone = 0;
  /** Cookie generation of the next transmission session (one per connection incarnation). */
  private generation = 1;
  /** The UDP transport, when configured: a connection granted UDP transmits through it. */
  datagrams: { open(slot: ConnectionSlot, info: ExportInfo, host: TransmissionHost): TransmissionPort | null } | null = null;

  constructor(private readonly engine: ProtocolEngine, private readonly tags: number, private readonly extensions?: ExtensionRequest) {}

  /** Compression and checksum counts over every session (undefined: the engine keeps none). */
  get frameCounters(): FrameCounters | undefined {
    return this.engine.frameCounters;
  }

  startHandshake(slot: ConnectionSlot, exportName: string, tls: HandshakeOptions['tls'], sink: HandshakeSink): void {
    slot.transmission = null;
    slot.info = null;
    slot.handshake = this.engine.handshake({ exportName, tls, structuredReplies: true, ...(this.extensions ? { extensions: this.extensions } : {}) }, sink);
    this.handshakesStarted++;
    slot.handshake.start();
  }

  /** Handshake finished: from now on bytes are replies. */
  beginTransmission(slot: ConnectionSlot, info: ExportInfo, sink: ReplySink, send: (bytes: Uint8Array, more?: boolean) => void): void {
    const leftover = slot.handshake?.takeLeftover() ?? [];
    slot.handshake = null;
    slot.info = info;
    slot.generation = this.generation;
    this.generation = (this.generation + 1) % 0x1_0000_0000;
    const host: TransmissionHost = {
      send,
      // The driver submits only its PDUs, so every request the session completes is one.
      complete: (req) => sink.done(req as NbdCmd, req.error),
      stateChanged: (st, why) => {
        if (st === 'dead') sink.fatal(why?.message ?? 'transmission session died');
        else if (st === 'draining' && why === null) sink.shutdown();
      },
    };
    const tx = (info.udp ? this.datagrams?.open(slot, info, host) : null) ?? this.engine.transmission(info, host, slot.generation, this.tags);
    slot.transmission = tx;
    this.handshakesDone++;
    for (const b of leftover) tx.feed(b);
    tx.detachInput();
  }

  /**
   * Plaintext bytes received on a connection (after TLS, if any), valid only during the call:
   * the session copies what it leaves undecoded; the handshake, which keeps its input, gets a copy.
   */
  received(slot: ConnectionSlot, bytes: Uint8Array): void {
    slot.bytesReceived += bytes.length;
    const tx = slot.transmission;
    if (tx) {
      tx.feed(bytes);
      // `bytes` is the socket's reused buffer: the session keeps a copy of what it left undecoded.
      tx.detachInput();
    } else if (slot.handshake) slot.handshake.feed(bytes.slice());
  }

  /** Connection gone: the session forgets what was in flight (the driver requeues it). */
  drop(slot: ConnectionSlot): void {
    slot.transmission?.abort();
    slot.handshake = null;
    slot.transmission = null;
  }
}
