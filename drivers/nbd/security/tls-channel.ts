import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { frameRecord as record, TLS_HEADER as HEADER, TLS_MAX_BODY, TLS_RECORD, type TlsCpu, type TlsKeys } from '../../../kernel/net/tls/index.ts';
import { ByteQueue } from '../protocol/byte-queue.ts';

export { TLS_NS_PER_BYTE, type TlsCpu, type TlsKeys } from '../../../kernel/net/tls/index.ts';

/**
 * The handshake of the simulated TLS-PSK after NBD_OPT_STARTTLS, in user space as a TLS library
 * runs it (the record layer is the kernel's, kernel/net/tls). The exchange is real messages with
 * real round trips: ClientHello(identity, client random) → ServerHello(server random, server
 * Finished) → ClientFinished; its outcome is the keys of both directions, from HKDF(PSK, seed +
 * randoms), which the owner installs on its socket (TLS_TX / TLS_RX). Both roles live here so the
 * client driver and the simulated server speak the same thing.
 */
export const TlsRecord = TLS_RECORD;
const RANDOM = 32;
const MAC = 32;
/** CPU cost of the key schedule and Finished MACs, per handshake and side. */
export const TLS_HANDSHAKE_CPU_NS = 60_000;

export interface TlsSink {
  /** Handshake bytes to put on the socket as they are. */
  sendRaw(bytes: Uint8Array): void;
  /** Done: install `keys` on the socket; `rest` arrived after the last handshake record (records already). */
  established(keys: TlsKeys, rest: Uint8Array): void;
  failed(reason: string): void;
}

export interface TlsOptions {
  role: 'client' | 'server';
  /** Client: its identity. Server: ignored. */
  identity: string;
  /** Client: its key. Server: looked up per identity. */
  psk?: Uint8Array;
  lookupPsk?: (identity: string) => Uint8Array | undefined;
  /** Scenario seed (salt of the key schedule). */
  seed: string | number;
  /** 32 bytes drawn from a named RNG stream by the caller. */
  random: Uint8Array;
  /** Charges the handshake's work to a core (default: counted in cpuNs only). */
  cpu?: TlsCpu | null;
  /** Runs `fn` once `ns` of handshake CPU work is done (default: at once). */
  after?: (ns: number, fn: () => void) => void;
}

interface Keys { tx: Buffer; rx: Buffer; txIv: Buffer; rxIv: Buffer; mac: Buffer }

export class TlsChannel {
  private readonly q = new ByteQueue();
  private keys: Keys | null = null;
  private state: 'start' | 'wait-server-hello' | 'wait-client-hello' | 'keying' | 'wait-finished' | 'open' | 'failed' = 'start';
  private transcript: Uint8Array = new Uint8Array(0);
  identity: string;
  /** CPU time the handshake has cost so far (ns): key schedule and MACs. */
  cpuNs = 0;

  constructor(private readonly opts: TlsOptions, private readonly sink: TlsSink) {
    if (opts.random.length !== RANDOM) throw new RangeError(`tls: random must be ${RANDOM} bytes, got ${opts.random.length}`);
    this.identity = opts.identity;
  }

  get open(): boolean {
    return this.state === 'open';
  }

  private get handshaking(): boolean {
    return this.state !== 'open' && this.state !== 'failed';
  }

  /** Client: sends ClientHello. Server: waits for it. */
  start(): void {
    if (this.opts.role === 'server') { this.state = 'wait-client-hello'; return; }
    if (!this.opts.psk) throw new Error('tls: a client needs a PSK');
    const id = Buffer.from(this.identity, 'utf8');
    const body = Buffer.alloc(2 + id.length + RANDOM);
    body.writeUInt16BE(id.length, 0);
    id.copy(body, 2);
    body.set(this.opts.random, 2 + id.length);
    this.transcript = body;
    this.state = 'wait-server-hello';
    this.sink.sendRaw(record(TlsRecord.CLIENT_HELLO, body));
  }

  /** Raw bytes from the socket, until the channel is open (then they are the socket's records). */
  feed(bytes: Uint8Array): void {
    if (!this.handshaking) return;
    this.q.push(bytes);
    while (this.q.length >= HEADER && this.handshaking) {
      const len = this.q.u32(1);
      if (len > TLS_MAX_BODY) return this.fail(`tls: record of ${len} bytes exceeds 32 MiB`, true);
      if (this.q.length < HEADER + len) return;
      const type = this.q.u8(0);
      this.q.skip(HEADER);
      const body = this.q.take(len);
      this.onRecord(type, body);
    }
  }

  private onRecord(type: number, body: Uint8Array): void {
    switch (type) {
      case TlsRecord.CLIENT_HELLO: return this.onClientHello(body);
      case TlsRecord.SERVER_HELLO: return this.onServerHello(body);
      case TlsRecord.FINISHED: return this.onFinished(body);
      case TlsRecord.APP_DATA: return this.fail('tls: application data before the handshake finished', true);
      case TlsRecord.ALERT: return this.fail(`tls: peer alert: ${Buffer.from(body).toString('utf8')}`, false);
      default: return this.fail(`tls: unknown record type ${type}`, true);
    }
  }

  private onClientHello(body: Uint8Array): void {
    if (this.state !== 'wait-client-hello') return this.fail('tls: unexpected ClientHello', true);
    const b = Buffer.from(body);
    const idLen = b.length >= 2 ? b.readUInt16BE(0) : -1;
    if (idLen < 0 || b.length !== 2 + idLen + RANDOM) return this.fail('tls: malformed ClientHello', true);
    this.identity = b.subarray(2, 2 + idLen).toString('utf8');
    const psk = this.opts.lookupPsk?.(this.identity);
    if (!psk) return this.fail(`tls: unknown PSK identity '${this.identity}'`, true);
    const clientRandom = b.subarray(2 + idLen);
    this.keys = deriveKeys(psk, this.opts.seed, clientRandom, this.opts.random, 'server');
    this.transcript = Buffer.concat([b, this.opts.random]);
    const fin = finishedMac(this.keys.mac, 'server finished', this.transcript);
    this.spend(TLS_HANDSHAKE_CPU_NS);
    this.state = 'wait-finished';
    this.afterCpu(TLS_HANDSHAKE_CPU_NS, () => this.sink.sendRaw(record(TlsRecord.SERVER_HELLO, Buffer.concat([this.opts.random, fin]))));
  }

  private onServerHello(body: Uint8Array): void {
    if (this.state !== 'wait-server-hello' || body.length !== RANDOM + MAC) return this.fail('tls: unexpected or malformed ServerHello', true);
    const serverRandom = body.subarray(0, RANDOM);
    const clientRandom = this.opts.random;
    this.keys = deriveKeys(this.opts.psk!, this.opts.seed, clientRandom, serverRandom, 'client');
    this.transcript = Buffer.concat([this.transcript, serverRandom]);
    this.spend(TLS_HANDSHAKE_CPU_NS);
    const expected = finishedMac(this.keys.mac, 'server finished', this.transcript);
    if (!timingSafeEqual(expected, body.subarray(RANDOM))) {
      return this.fail(`tls: server Finished does not verify: wrong PSK for identity '${this.identity}'`, true);
    }
    // The Finished leaves once the key schedule's CPU time has passed; nothing arrives meanwhile.
    this.state = 'keying';
    const fin = record(TlsRecord.FINISHED, finishedMac(this.keys.mac, 'client finished', this.transcript));
    this.afterCpu(TLS_HANDSHAKE_CPU_NS, () => {
      if (this.state !== 'keying') return;
      this.sink.sendRaw(fin);
      this.opened();
    });
  }

  private onFinished(body: Uint8Array): void {
    if (this.state !== 'wait-finished' || !this.keys) return this.fail('tls: unexpected Finished', true);
    const expected = finishedMac(this.keys.mac, 'client finished', this.transcript);
    if (body.length !== MAC || !timingSafeEqual(expected, body)) {
      return this.fail(`tls: client Finished does not verify: wrong PSK for identity '${this.identity}'`, true);
    }
    this.opened();
  }

  /** Open: the keys go to the owner with what came after the last handshake record. */
  private opened(): void {
    const k = this.keys!;
    this.state = 'open';
    const rest = this.q.length > 0 ? this.q.take(this.q.length).slice() : new Uint8Array(0);
    this.sink.established({ tx: { key: k.tx, salt: k.txIv, seq: 0 }, rx: { key: k.rx, salt: k.rxIv, seq: 0 } }, rest);
  }

  private afterCpu(ns: number, fn: () => void): void {
    if (this.opts.after) this.opts.after(ns, fn);
    else fn();
  }

  private spend(ns: number): void {
    this.cpuNs += ns;
    this.opts.cpu?.charge(ns);
  }

  private fail(reason: string, alertPeer: boolean): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    if (alertPeer) this.sink.sendRaw(record(TlsRecord.ALERT, Buffer.from(reason, 'utf8')));
    this.sink.failed(reason);
  }
}

function deriveKeys(psk: Uint8Array, seed: string | number, cr: Uint8Array, sr: Uint8Array, role: 'client' | 'server'): Keys {
  const salt = Buffer.concat([Buffer.from(`orion-sim:${seed}:nbd-tls`, 'utf8'), cr, sr]);
  const okm = Buffer.from(hkdfSync('sha256', psk, salt, 'nbd-tls key schedule', 32 + 32 + 4 + 4 + 32));
  const c2s = okm.subarray(0, 32), s2c = okm.subarray(32, 64);
  const c2sIv = okm.subarray(64, 68), s2cIv = okm.subarray(68, 72), mac = okm.subarray(72, 104);
  return role === 'client'
    ? { tx: c2s, rx: s2c, txIv: c2sIv, rxIv: s2cIv, mac }
    : { tx: s2c, rx: c2s, txIv: s2cIv, rxIv: c2sIv, mac };
}

function finishedMac(key: Buffer, label: string, transcript: Uint8Array): Buffer {
  return createHmac('sha256', key).update(label).update(transcript).digest();
}
