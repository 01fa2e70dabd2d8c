import { ProtocolError } from '../../../../drivers/nbd/protocol/errors.ts';
import { REQUEST_EVENT, RequestDecoder } from '../../../../drivers/nbd/protocol/decode-requests.ts';
import { encodeGreeting } from '../../../../drivers/nbd/protocol/encode-handshake.ts';
import {
  NBD_FLAG_C_FIXED_NEWSTYLE, NBD_FLAG_C_NO_ZEROES, NBD_FLAG_FIXED_NEWSTYLE, NBD_FLAG_NO_ZEROES, NBD_OPTION_REPLY_HEADER_SIZE,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import { isOptionReply, sealOption } from '../../../../drivers/nbd/protocol/header-checksum.ts';
import type { UdpGrant } from '../../../../drivers/nbd/protocol/udp-datagram.ts';
import { handleOption } from './handshake.ts';
import { beginRequest, COMPLETIONS, writeData, writeFrame } from './commands.ts';
import { ReplyScratch } from './reply-scratch.ts';
import { RequestPool, type ServerRequest } from './request.ts';
import type { ClientIdentity, ServerExport, ServerIo, Session, SessionPhase, SessionServer } from './types.ts';

/**
 * The server side of one NBD connection, sans-I/O: bytes in through `receive`, bytes out through
 * `io.send`. Fixed newstyle handshake, then transmission serving from the export's BlockStore.
 * Parsing is E4's RequestDecoder; this module only decides what to answer.
 */
export class ServerSession implements Session {
  phase: SessionPhase = 'handshake';
  readonly decoder = new RequestDecoder();
  noZeroes = false;
  structured = false;
  tlsActive = false;
  /** NBD_OPT_EXTENDED_HEADERS acknowledged: 32-byte requests and replies in transmission. */
  extended = false;
  /** Orion extensions granted (docs/nbd-extensions.md): algorithm ids, 0 = off. */
  compression = 0;
  checksum = 0;
  /** The UDP transport granted to this session (its token's owner), else null. */
  udp: UdpGrant | null = null;
  /** Export name SET_META_CONTEXT base:allocation was agreed for (null = none). */
  metaExport: string | null = null;
  export: ServerExport | null = null;
  /** Writes fail with EPERM: the export is read-only, or this client has a read-only grant. */
  readOnly = false;
  transmissionFlags = 0;
  inFlight = 0;
  /** The WRITE whose payload is arriving. */
  pendingWrite: ServerRequest<Session> | null = null;
  readonly requests: RequestPool<Session> = new RequestPool<Session>(this, COMPLETIONS);
  /** Reply headers and piece list, reused by every reply. */
  readonly replies = new ReplyScratch();
  private discRequested = false;

  constructor(readonly server: SessionServer, readonly io: ServerIo, readonly who: ClientIdentity, readonly id: number) {}

  start(): void {
    this.trace('session.open', { client: this.who.address });
    this.io.send(encodeGreeting(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES));
  }

  /**
   * Bytes from the client. The decoder keeps undecoded bytes by reference; a host whose buffer
   * is reused after the call (a socket's receive view) passes `transient`, and only what is left
   * undecoded is copied (usually nothing, or part of a header).
   */
  receive(bytes: Uint8Array, transient = false): void {
    if (this.phase === 'closed') return;
    this.decoder.feed(bytes);
    this.pump();
    if (transient) this.decoder.queue.detach();
  }

  /** The host finished the TLS upgrade; `identity` is the PSK user, for access lists. */
  tlsReady(identity?: string): void {
    if (this.phase !== 'tls-wait') return;
    this.tlsActive = true;
    // The client renegotiates every option after STARTTLS.
    this.extended = false;
    this.compression = 0;
    this.checksum = 0;
    this.decoder.optionsSealed = false;
    this.udp = null;
    if (identity !== undefined) this.who.tlsIdentity = identity;
    this.phase = 'handshake';
    this.trace('tls.ready', { identity: identity ?? null });
    this.pump();
  }

  /** The client went away (or the host closes us). */
  closed(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.server.forget(this);
    this.trace('session.closed', { inFlight: this.inFlight });
  }

  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.trace('session.close', { reason });
    this.closed();
    this.io.close();
  }

  /** Hard disconnect after a protocol violation by the client. */
  fail(err: ProtocolError): void {
    this.trace('protocol.error', { code: err.code, where: err.where, message: err.message });
    this.close(err.message);
  }

  trace(kind: string, data?: Record<string, unknown>): void {
    this.io.trace?.(kind, data);
  }

  /** Sends handshake bytes now (the option phase is never delayed or corrupted). */
  sendNow(bytes: Uint8Array): void {
    if (this.phase === 'closed') return;
    // Checksums granted: the option replies after that grant are sealed (docs/nbd-extensions.md, "Header checksums").
    const seal = this.checksum !== 0 && this.phase === 'handshake' && isOptionReply(bytes);
    this.io.send(seal ? sealOption(bytes, NBD_OPTION_REPLY_HEADER_SIZE) : bytes);
  }

  /** A command finished (its reply is on its way): DISC waits for the last one. */
  requestDone(): void {
    this.inFlight--;
    if (this.discRequested && this.inFlight === 0) this.close('NBD_CMD_DISC');
  }

  disconnectWhenIdle(): void {
    this.discRequested = true;
    if (this.inFlight === 0) this.close('NBD_CMD_DISC');
  }

  /** Processes buffered input (after the server's hang knob is cleared). */
  kick(): void {
    this.pump();
  }

  private pump(): void {
    const d = this.decoder;
    while (this.phase === 'handshake' || this.phase === 'transmission') {
      if (this.server.faults.hang) return;
      const ev = d.next();
      switch (ev) {
        case REQUEST_EVENT.NEED_MORE:
          return;
        case REQUEST_EVENT.ERROR:
          this.fail(d.protocolError!);
          return;
        case REQUEST_EVENT.CLIENT_FLAGS:
          this.onClientFlags(d.clientFlags);
          break;
        case REQUEST_EVENT.OPTION:
          handleOption(this, d.option, d.optionData);
          break;
        case REQUEST_EVENT.REQUEST:
          beginRequest(this, d);
          break;
        case REQUEST_EVENT.WRITE_DATA:
          if (this.pendingWrite) writeData(this, this.pendingWrite, d);
          break;
        case REQUEST_EVENT.WRITE_FRAME:
          if (this.pendingWrite) writeFrame(this, this.pendingWrite, d);
          break;
      }
    }
  }

  private onClientFlags(flags: number): void {
    // proto.md: a server that sees a client flag it does not know MUST close.
    const known = NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES;
    if ((flags & ~known) !== 0) {
      this.close(`unknown client flags 0x${flags.toString(16)}`);
      return;
    }
    if (this.server.config.requireFixedNewstyle && (flags & NBD_FLAG_C_FIXED_NEWSTYLE) === 0) {
      this.close('client does not speak fixed newstyle');
      return;
    }
    this.noZeroes = (flags & NBD_FLAG_C_NO_ZEROES) !== 0;
    this.trace('client.flags', { flags });
  }
}
