import type { Engine } from '../../../hw-sim/engine/engine.ts';
import { FiledIds, traceShape, traceSource, type TraceSource } from '../../../hw-sim/engine/trace.ts';
import type { ServerIo } from './protocol/index.ts';
import type { SocketWriter } from './socket-io.ts';

/** Trace kinds of the sessions' records, `nbd.<kind>`, built once per kind. */
const NBD_KINDS = new Map<string, string>();
/** The records of every request (ServerIo.traceRequest, traceReply): shaped, no data object unless read. */
const TRACE_REQUEST = traceShape('nbd.request', ['cmd', 'flags', 'cookieHi', 'cookieLo', 'offset', 'length', 'rid']);
const TRACE_REPLY = traceShape('nbd.reply', ['cookieHi', 'cookieLo', 'bytes', 'rid']);

/**
 * A server session's connection on a simulated host: its socket's writer, the engine's clock and
 * trace. A class, not an object of closures: a closure per connection, called from the session's
 * hot paths, was embedded in their optimised code when one connection was all they saw, and that
 * code was thrown away (deopt 'weak objects') whenever a world died.
 */
export class HostIo implements ServerIo {
  /** Trace context: the client's block request id of each cookie in flight here (from the client's
   * filing on the trace bus); cookies are reused per tag, so this holds at most one per tag. */
  private readonly rids = new FiledIds();
  private filed: FiledIds | undefined;
  /** This emitter as the source of its shaped trace records. */
  private readonly traceSrc: TraceSource;
  /** Set by the program: upgrades the connection to TLS. */
  startTls: (() => void) | undefined;

  constructor(private readonly engine: Engine, private readonly writer: SocketWriter, private readonly connSrc: string,
    private readonly peer: string) {
    this.traceSrc = traceSource(connSrc);
  }

  send(bytes: Uint8Array, more?: boolean): void {
    this.writer.write(bytes, more);
  }

  sendRange(bytes: Uint8Array, off: number, len: number, more: boolean): void {
    this.writer.write(bytes, more, off, len);
  }

  sendPair(head: Uint8Array, bytes: Uint8Array, off: number, len: number): void {
    this.writer.writePair(head, bytes, off, len);
  }

  close(): void {
    this.writer.end();
  }

  schedule(delayNs: number, fn: () => void): void {
    this.engine.schedule(delayNs, fn, 'nbd-server.delay');
  }

  trace(kind: string, data?: Record<string, unknown>): void {
    if (data !== undefined && data['rid'] === undefined && (kind === 'reply' || kind === 'refused')) {
      const rid = this.ridOf(data['cookieHi'], data['cookieLo']);
      // The session built `data` for this call alone: the id joins it in place, last, as a copy would put it.
      if (rid !== undefined) data['rid'] = rid;
    }
    let k = NBD_KINDS.get(kind);
    if (k === undefined) NBD_KINDS.set(kind, (k = `nbd.${kind}`));
    this.engine.trace.emit(this.connSrc, k, data);
  }

  traceRequest(cmd: string | number, flags: number, hi: number, lo: number, offset: number, length: number, rid: number): void {
    const trace = this.engine.trace;
    // Tested here: with the trace off the record's eight arguments are not passed on.
    if (trace.enabled) TRACE_REQUEST.emit(trace, this.traceSrc, cmd, flags, hi, lo, offset, length, rid >= 0 ? rid : undefined);
  }

  traceReply(hi: number, lo: number, bytes: number): void {
    const trace = this.engine.trace;
    // Tested first: the id's lookup (a float modulo) is for the record only.
    if (trace.enabled) TRACE_REPLY.emit(trace, this.traceSrc, hi, lo, bytes, this.ridOf(hi, lo));
  }

  requestId(hi: number, lo: number): number | undefined {
    const trace = this.engine.trace;
    if (!trace.enabled) return undefined;
    const cookie = hi * 0x1_0000_0000 + lo;
    this.filed ??= trace.requestIdsOf(this.peer);
    const rid = this.filed.take(cookie);
    this.rids.file(cookie, rid ?? -1);
    return rid;
  }

  replyStarts(hi: number, lo: number): void {
    if (this.engine.trace.enabled) this.writer.mark(this.ridOf(hi, lo) ?? -1);
  }

  private ridOf(hi: unknown, lo: unknown): number | undefined {
    const rid = typeof hi === 'number' && typeof lo === 'number' ? this.rids.idOf(hi * 0x1_0000_0000 + lo) : undefined;
    return rid !== undefined && rid >= 0 ? rid : undefined;
  }
}
