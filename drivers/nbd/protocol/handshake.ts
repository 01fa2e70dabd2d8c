/**
 * Sans-I/O driver of the client handshake: feed it the server's bytes, it calls `send` with the
 * bytes to write and `startTls` when the transport must upgrade. It owns the decoder and keeps its
 * expectation in step with the machine's state. The actor factory is injectable so the simulator
 * can run the machine on the engine clock (createSimActor) with its transitions traced.
 */
import { createActor, type Actor } from 'xstate';
import { HandshakeReplyDecoder } from './decode-handshake-replies.ts';
import { hard, ProtocolError } from './errors.ts';
import { grantedAlgorithm } from './handshake-extensions.ts';
import { grantedUdp } from './udp-option.ts';
import { handshakeMachine } from './handshake-machine.ts';
import { NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_COMPRESSION, NBD_OPTION_HEADER_SIZE } from './uapi.ts';
import { isOptionRequest, sealOption } from './header-checksum.ts';
import type { HandshakeConfig, HandshakeEvent, HandshakeFailure, NegotiatedExport, ExportListing } from './handshake-types.ts';

export type HandshakeActor = Actor<typeof handshakeMachine>;
export type HandshakeStatus = 'negotiating' | 'tls' | 'ready' | 'closed' | 'dead';

export interface HandshakeHost {
  /** Write these bytes to the server, in order. */
  send(bytes: Uint8Array): void;
  /** Upgrade the transport to TLS now; answer with tlsReady() or tlsFailed(). */
  startTls?(): void;
  /** Negotiation ended: ready, closed (soft disconnect done) or dead (hard disconnect). */
  done?(status: 'ready' | 'closed' | 'dead'): void;
}

export type ActorFactory = (machine: typeof handshakeMachine, input: HandshakeConfig) => HandshakeActor;

const defaultFactory: ActorFactory = (machine, input) => createActor(machine, { input });

export class NbdHandshake {
  readonly actor: HandshakeActor;
  private readonly decoder = new HandshakeReplyDecoder();
  private feeding = false;
  private reported = false;

  constructor(config: HandshakeConfig, private readonly host: HandshakeHost, factory: ActorFactory = defaultFactory) {
    this.actor = factory(handshakeMachine, config);
    this.actor.on('send', (e) => this.host.send(this.sealed && isOptionRequest(e.bytes) ? sealOption(e.bytes, NBD_OPTION_HEADER_SIZE) : e.bytes));
    this.actor.on('start-tls', () => {
      // Bytes already queued after the STARTTLS ACK were sent in clear: a downgrade attempt.
      if (this.decoder.queue.length > 0) {
        this.deliver({ type: 'PROTOCOL_ERROR', error: hard('trailing-bytes', 'STARTTLS', 'plaintext bytes after NBD_REP_ACK') });
        return;
      }
      this.host.startTls?.();
    });
  }

  /** Starts the machine; nothing is sent until the greeting arrives. */
  start(): this {
    this.actor.start();
    this.sync();
    return this;
  }

  /** Bytes from the server, split anywhere. */
  feed(bytes: Uint8Array): void {
    this.decoder.feed(bytes);
    this.pump();
  }

  /** The server closed the connection. */
  eof(): void {
    this.deliver({ type: 'EOF' });
  }

  tlsReady(): void {
    this.deliver({ type: 'TLS_READY' });
    this.pump();
  }

  tlsFailed(reason: string): void {
    this.deliver({ type: 'TLS_FAILED', reason });
  }

  get status(): HandshakeStatus {
    const s = this.actor.getSnapshot();
    if (s.matches('ready')) return 'ready';
    if (s.matches('closed')) return 'closed';
    if (s.matches('dead')) return 'dead';
    return s.matches('tlsHandshake') ? 'tls' : 'negotiating';
  }

  /** The state name, for traces and tests. */
  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  get failure(): HandshakeFailure | null {
    return this.actor.getSnapshot().context.failure;
  }

  get exports(): readonly ExportListing[] {
    return this.actor.getSnapshot().context.exports;
  }

  /** The negotiated export once status is 'ready', else null. */
  get result(): NegotiatedExport | null {
    const s = this.actor.getSnapshot();
    if (!s.matches('ready')) return null;
    const c = s.context;
    const udp = c.viaExportName ? null : grantedUdp(c.extensions);
    return {
      exportName: c.exportName, size: Number(c.sizeBig), sizeBig: c.sizeBig,
      transmissionFlags: c.transmissionFlags, minBlock: c.minBlock, prefBlock: c.prefBlock,
      maxPayload: c.maxPayload, blockSizeAdvertised: c.blockSizeAdvertised, structuredReplies: c.structured,
      metaContexts: { ...c.metaContexts }, tls: c.tlsActive, viaExportName: c.viaExportName,
      description: c.description,
      // EXPORT_NAME ends negotiation without GO: the server forgets the extensions (docs/nbd-extensions.md).
      extendedHeaders: c.extended && !c.viaExportName,
      compression: c.viaExportName ? 0 : grantedAlgorithm(c.extensions, NBD_OPT_ORION_COMPRESSION),
      checksum: c.viaExportName ? 0 : grantedAlgorithm(c.extensions, NBD_OPT_ORION_CHECKSUM),
      extensions: c.extensions.map((o) => ({ ...o })),
      // Present only when granted (null or absent: transmission on TCP).
      ...(udp ? { udp } : {}),
    };
  }

  /** Bytes received past the end of the handshake: the start of the transmission stream. */
  takeLeftover(): Uint8Array[] {
    return this.decoder.queue.drain();
  }

  private deliver(e: HandshakeEvent): void {
    if (this.actor.getSnapshot().status !== 'active') return;
    this.actor.send(e);
    this.sync();
  }

  /** Decodes whatever is buffered, as long as the machine expects a server message. */
  private pump(): void {
    if (this.feeding) return;
    this.feeding = true;
    try {
      while (this.actor.getSnapshot().status === 'active' && this.expecting()) {
        const m = this.decoder.next();
        if (m === null) break;
        if (m instanceof ProtocolError) this.deliver({ type: 'PROTOCOL_ERROR', error: m });
        else if (m.kind === 'greeting') this.deliver({ type: 'GREETING', handshakeFlags: m.handshakeFlags });
        else if (m.kind === 'export-name-reply') this.deliver({ type: 'EXPORT_NAME_REPLY', size: m.size, transmissionFlags: m.transmissionFlags });
        else this.deliver({ type: 'OPTION_REPLY', reply: m.reply });
      }
    } finally {
      this.feeding = false;
    }
  }

  private expecting(): boolean {
    const s = this.actor.getSnapshot();
    return s.hasTag('expect-greeting') || s.hasTag('expect-option') || s.hasTag('expect-export-name');
  }

  /** The checksum extension is granted: later options and their replies are sealed (docs/nbd-extensions.md, "Header checksums"). */
  get sealed(): boolean {
    return grantedAlgorithm(this.actor.getSnapshot().context.extensions, NBD_OPT_ORION_CHECKSUM) !== 0;
  }

  /** Points the decoder at the message the current state waits for; reports the end once. */
  private sync(): void {
    const s = this.actor.getSnapshot();
    this.decoder.sealed = this.sealed;
    if (s.hasTag('expect-greeting')) this.decoder.expect({ kind: 'greeting' });
    else if (s.hasTag('expect-option')) this.decoder.expect({ kind: 'option-reply', option: s.context.currentOption });
    else if (s.hasTag('expect-export-name')) this.decoder.expect({ kind: 'export-name-reply', noZeroes: s.context.noZeroes });
    else this.decoder.expect({ kind: 'nothing' });
    if (s.status === 'done' && !this.reported) {
      this.reported = true;
      this.host.done?.(this.status as 'ready' | 'closed' | 'dead');
    }
  }
}
