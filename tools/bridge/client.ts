/**
 * E4's sans-I/O NBD client (NbdHandshake + TransmissionSession) on a node:net socket, with a
 * Promise API for tools (probe, interop tests) and a callback API (`issue`) for loops that reuse
 * their request records (read-bench). Read data lands in the request's buffer straight from the
 * socket when it can (SocketStream targets). No protocol logic lives here.
 */
import { NbdHandshake } from '../../drivers/nbd/protocol/handshake.ts';
import type { ExportListing, ExtensionRequest, HandshakeFailure, NegotiatedExport } from '../../drivers/nbd/protocol/handshake-types.ts';
import { newRequest, type NbdRequest } from '../../drivers/nbd/protocol/request-check.ts';
import { TransmissionSession } from '../../drivers/nbd/protocol/transmission.ts';
import type { FrameCounters } from '../../drivers/nbd/protocol/transmission-frames.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_CACHE, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM,
  NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES, NBD_ERROR_NAMES,
} from '../../drivers/nbd/protocol/uapi.ts';
import { SocketStream } from './byte-stream.ts';
import type { PskEntry } from './psk.ts';

export interface ClientOptions {
  host: string;
  port: number;
  exportName?: string;
  /** STARTTLS with this pre-shared key (TLS required). */
  psk?: PskEntry;
  /** NBD_OPT_LIST then ABORT instead of opening an export. */
  list?: boolean;
  structuredReplies?: boolean;
  /** Cookie generation (high half); default 1. */
  generation?: number;
  maxInFlight?: number;
  /** Give up connecting/negotiating after this long (default 10 s). */
  timeoutMs?: number;
  /** Ask for NBD_OPT_EXTENDED_HEADERS (docs/nbd-extensions.md). */
  extendedHeaders?: boolean;
  /** Orion private options to ask for. */
  extensions?: ExtensionRequest;
}

/** Why a connection or a command failed: what the probe CLI reports. */
export class NbdClientError extends Error {
  override readonly name = 'NbdClientError';
  constructor(
    /** 'connect' (TCP), a handshake failure kind, 'submit' (refused locally), 'command' (server error), 'protocol', 'closed'. */
    readonly kind: string,
    message: string,
    /** NBD error value for 'command'. */
    readonly nbdError = 0,
  ) {
    super(message);
  }
}

export interface Extent {
  length: number;
  flags: number;
}

/** Completion of a request issued with `issue`: the error is set when the connection died first. */
export type RequestDone = (req: NbdRequest, failed: NbdClientError | null) => void;

export class BridgeClient {
  private session: TransmissionSession | null = null;
  private readonly waiting = new Map<NbdRequest, RequestDone>();
  private deadReason: NbdClientError | null = null;

  private constructor(private readonly stream: SocketStream, readonly info: NegotiatedExport | null, readonly exports: readonly ExportListing[]) {}

  /** Connects and negotiates; resolves when the export is open (or the listing is done). */
  static connect(opts: ClientOptions): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const stream = SocketStream.connect(opts.host, opts.port);
      const raw = stream.raw;
      let settled = false;
      let client: BridgeClient | null = null;
      const fail = (e: NbdClientError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stream.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new NbdClientError('timeout', `no answer from ${opts.host}:${opts.port} within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
      // A server that refuses an option may close at once (nbd-server after NBD_REP_ERR_UNKNOWN),
      // so our ABORT meets a reset: its answer, already read, is the reason, not the reset.
      raw.once('error', (e) => {
        if (hs.failure || raw.bytesRead > 0) fail(handshakeError(hs.failure, opts, e));
        else fail(new NbdClientError('connect', `cannot connect to ${opts.host}:${opts.port}: ${e.message}`));
      });
      const hs = new NbdHandshake({
        exportName: opts.exportName ?? '',
        tls: opts.psk ? 'require' : 'off',
        structuredReplies: opts.structuredReplies ?? true,
        list: opts.list ?? false,
        extendedHeaders: opts.extendedHeaders ?? false,
        ...(opts.extensions ? { extensions: opts.extensions } : {}),
      }, {
        send: (b) => stream.write(b),
        startTls: () => {
          stream.upgradeClient(opts.psk!).then(() => hs.tlsReady(), (e: Error) => hs.tlsFailed(e.message));
        },
        done: (status) => {
          // 'closed' without a listing asked for means the server refused (option error, then ABORT).
          if (status === 'dead' || (status === 'closed' && !opts.list)) return fail(handshakeError(hs.failure, opts));
          settled = true;
          clearTimeout(timer);
          client = new BridgeClient(stream, hs.result, hs.exports);
          if (status === 'ready') client.startTransmission(hs.takeLeftover(), opts);
          else stream.close();
          resolve(client);
        },
      });
      stream.attach({
        // Ring views are reused: the handshake keeps what it is fed, so it gets a copy.
        onData: (b) => (client?.session ? client.session.feed(b) : hs.feed(b.slice())),
        target: () => client?.session?.dataTarget() ?? null,
        onDataInPlace: (n) => client?.session?.feedInPlace(n),
        onRecycle: () => client?.session?.detachInput(),
        onClose: (e) => {
          if (client) client.onClosed(e);
          else hs.eof();
          if (!settled) fail(handshakeError(hs.failure, opts, e));
        },
      });
      raw.once('connect', () => hs.start());
    });
  }

  /** What compression and checksums did on this connection (null when neither was negotiated). */
  get frameCounters(): FrameCounters | null {
    return this.session?.frames?.counters ?? null;
  }

  get inFlight(): number {
    return this.session?.inFlight ?? 0;
  }

  /**
   * Sends a request without a Promise: `done` runs when its reply is in (req.error may be
   * non-zero), or with the error that killed the connection. Returns why it was refused, or null.
   * A caller may reuse `req` (and its buffer) for its next request once `done` ran.
   */
  issue(req: NbdRequest, done: RequestDone): NbdClientError | null {
    if (this.deadReason) return this.deadReason;
    if (!this.session) return new NbdClientError('closed', 'no export is open');
    this.waiting.set(req, done);
    const bad = this.session.submit(req);
    if (!bad) return null;
    this.waiting.delete(req);
    return new NbdClientError('submit', `${bad.errno}: ${bad.reason}`);
  }

  /** Sends a request; resolves with it when the reply is in (req.error may be non-zero). */
  submit(req: NbdRequest): Promise<NbdRequest> {
    return new Promise((resolve, reject) => {
      const refused = this.issue(req, (r, failed) => (failed ? reject(failed) : resolve(r)));
      if (refused) reject(refused);
    });
  }

  /** Like submit, but a server error rejects with an NbdClientError('command'). */
  async run(req: NbdRequest): Promise<NbdRequest> {
    const r = await this.submit(req);
    if (r.error !== 0) {
      const name = NBD_ERROR_NAMES[r.error] ?? String(r.error);
      throw new NbdClientError('command', `server replied ${name}${r.message ? ` (${r.message})` : ''}`, r.error);
    }
    return r;
  }

  async read(offset: number, length: number, flags = 0, into?: Uint8Array): Promise<Uint8Array> {
    const buf = into ?? new Uint8Array(length);
    await this.run(newRequest(NBD_CMD_READ, offset, length, buf, flags));
    return buf;
  }
  async write(offset: number, data: Uint8Array, flags = 0): Promise<void> {
    await this.run(newRequest(NBD_CMD_WRITE, offset, data.length, data, flags));
  }
  async flush(): Promise<void> {
    await this.run(newRequest(NBD_CMD_FLUSH));
  }
  async trim(offset: number, length: number, flags = 0): Promise<void> {
    await this.run(newRequest(NBD_CMD_TRIM, offset, length, null, flags));
  }
  async zero(offset: number, length: number, flags = 0): Promise<void> {
    await this.run(newRequest(NBD_CMD_WRITE_ZEROES, offset, length, null, flags));
  }
  async cache(offset: number, length: number): Promise<void> {
    await this.run(newRequest(NBD_CMD_CACHE, offset, length));
  }
  /** base:allocation extents from offset (flags: NBD_STATE_HOLE | NBD_STATE_ZERO). */
  async blockStatus(offset: number, length: number, reqOne = false): Promise<Extent[]> {
    const req = newRequest(NBD_CMD_BLOCK_STATUS, offset, length, null, reqOne ? NBD_CMD_FLAG_REQ_ONE : 0);
    req.extents = [];
    await this.run(req);
    const out: Extent[] = [];
    for (let i = 0; i + 2 < req.extents.length; i += 3) out.push({ length: req.extents[i + 1]!, flags: req.extents[i + 2]! });
    return out;
  }

  /** NBD_CMD_DISC after the replies in flight, then closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.deadReason || !this.session) {
        this.stream.close();
        return resolve();
      }
      this.closeWaiter = resolve;
      this.session.disconnect();
    });
  }

  private closeWaiter: (() => void) | null = null;

  private startTransmission(leftover: Uint8Array[], opts: ClientOptions): void {
    this.session = new TransmissionSession(this.info!, {
      send: (b) => this.stream.write(b),
      complete: (req) => {
        const done = this.waiting.get(req);
        if (!done) return;
        this.waiting.delete(req);
        done(req, null);
      },
      stateChanged: (st, why) => {
        if (st === 'disconnected') {
          this.stream.close();
          this.closeWaiter?.();
        } else if (st === 'dead') {
          this.kill(new NbdClientError('protocol', `protocol violation by the server: ${why?.message ?? 'unknown'}`));
          this.stream.destroy();
        }
      },
    }, { generation: opts.generation ?? 1, maxInFlight: opts.maxInFlight ?? 128, leftover });
  }

  private onClosed(e?: Error): void {
    this.session?.abort();
    this.kill(new NbdClientError('closed', `connection closed${e ? `: ${e.message}` : ''}`));
    this.closeWaiter?.();
  }

  private kill(e: NbdClientError): void {
    if (!this.deadReason) this.deadReason = e;
    const failed = this.deadReason;
    const done = [...this.waiting];
    this.waiting.clear();
    for (const [req, cb] of done) cb(req, failed);
  }
}

function handshakeError(f: HandshakeFailure | null, opts: ClientOptions, e?: Error): NbdClientError {
  const where = `${opts.host}:${opts.port}${opts.exportName ? `/${opts.exportName}` : ''}`;
  if (!f) return new NbdClientError('eof', `${where}: connection closed during the handshake${e ? `: ${e.message}` : ''}`);
  const hint = f.kind === 'tls-failed' ? ' (check the PSK user name and key)' : '';
  return new NbdClientError(f.kind, `${where}: ${f.message}${hint}`);
}
