import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { DEFAULT_CPU_COSTS } from '../../../hw-sim/cpu/costs.ts';
import { ByteQueue } from '../protocol/byte-queue.ts';

/**
 * Simulated TLS-PSK after NBD_OPT_STARTTLS. The exchange is real messages with real round trips:
 * ClientHello(identity, client random) → ServerHello(server random, server Finished) →
 * ClientFinished; then every record is AES-256-GCM with keys from HKDF(PSK, seed + randoms) and
 * nonces from a per-direction counter (never random). Both roles live here so the client driver
 * and the simulated server speak the same thing.
 *
 * Record: type (u8) | length (u32 BE) | body.
 */
export const TlsRecord = { CLIENT_HELLO: 1, SERVER_HELLO: 2, FINISHED: 3, ALERT: 21, APP_DATA: 23 } as const;
const HEADER = 5;
const RANDOM = 32;
const MAC = 32;
const TAG = 16;
/** CPU cost model: key schedule and Finished MACs per handshake, AES-GCM per byte (default: the cost table's). */
export const TLS_HANDSHAKE_CPU_NS = 60_000;
export const TLS_NS_PER_BYTE = DEFAULT_CPU_COSTS.aesGcmNsPerByte;

/** Where the channel's CPU work is charged: the AES-GCM cost per byte and the core that pays it. */
export interface TlsCpu {
  readonly nsPerByte: number;
  charge(ns: number): void;
}

export interface TlsSink {
  /** Bytes to put on the socket as they are. */
  sendRaw(bytes: Uint8Array): void;
  established(): void;
  failed(reason: string): void;
  /** Decrypted application bytes. */
  appData(bytes: Uint8Array): void;
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
  /** Charges the channel's work to a core (default: counted in cpuNs only, at TLS_NS_PER_BYTE). */
  cpu?: TlsCpu | null;
}

interface Keys { tx: Buffer; rx: Buffer; txIv: Buffer; rxIv: Buffer; mac: Buffer }

export class TlsChannel {
  private readonly q = new ByteQueue();
  private keys: Keys | null = null;
  private txSeq = 0;
  private rxSeq = 0;
  private state: 'start' | 'wait-server-hello' | 'wait-client-hello' | 'wait-finished' | 'open' | 'failed' = 'start';
  private transcript: Uint8Array = new Uint8Array(0);
  identity: string;
  /** CPU time this channel has cost so far (ns): key schedule, MACs, sealing and opening. */
  cpuNs = 0;
  /** The part of cpuNs spent opening received records (charged on the receive path). */
  rxCpuNs = 0;
  bytesSealed = 0;

  constructor(private readonly opts: TlsOptions, private readonly sink: TlsSink) {
    if (opts.random.length !== RANDOM) throw new RangeError(`tls: random must be ${RANDOM} bytes, got ${opts.random.length}`);
    this.identity = opts.identity;
  }

  get open(): boolean {
    return this.state === 'open';
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

  /** Raw bytes from the socket. */
  feed(bytes: Uint8Array): void {
    this.q.push(bytes);
    while (this.q.length >= HEADER && this.state !== 'failed') {
      const len = this.q.u32(1);
      if (len > 1 << 25) return this.fail(`tls: record of ${len} bytes exceeds 32 MiB`, true);
      if (this.q.length < HEADER + len) return;
      const type = this.q.u8(0);
      this.q.skip(HEADER);
      const body = this.q.take(len);
      this.onRecord(type, body);
    }
  }

  /** Encrypts application bytes into one record (allocates: only TLS connections pay this). */
  seal(plain: Uint8Array): Uint8Array {
    const k = this.keys;
    if (!k || this.state !== 'open') throw new Error('tls: seal before the channel is open');
    const c = createCipheriv('aes-256-gcm', k.tx, nonce(k.txIv, this.txSeq++));
    const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    this.spend(Math.ceil(plain.length * this.nsPerByte));
    this.bytesSealed += plain.length;
    return record(TlsRecord.APP_DATA, body);
  }

  private onRecord(type: number, body: Uint8Array): void {
    switch (type) {
      case TlsRecord.CLIENT_HELLO: return this.onClientHello(body);
      case TlsRecord.SERVER_HELLO: return this.onServerHello(body);
      case TlsRecord.FINISHED: return this.onFinished(body);
      case TlsRecord.ALERT: return this.fail(`tls: peer alert: ${Buffer.from(body).toString('utf8')}`, false);
      case TlsRecord.APP_DATA: return this.onAppData(body);
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
    this.sink.sendRaw(record(TlsRecord.SERVER_HELLO, Buffer.concat([this.opts.random, fin])));
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
    this.sink.sendRaw(record(TlsRecord.FINISHED, finishedMac(this.keys.mac, 'client finished', this.transcript)));
    this.state = 'open';
    this.sink.established();
  }

  private onFinished(body: Uint8Array): void {
    if (this.state !== 'wait-finished' || !this.keys) return this.fail('tls: unexpected Finished', true);
    const expected = finishedMac(this.keys.mac, 'client finished', this.transcript);
    if (body.length !== MAC || !timingSafeEqual(expected, body)) {
      return this.fail(`tls: client Finished does not verify: wrong PSK for identity '${this.identity}'`, true);
    }
    this.state = 'open';
    this.sink.established();
  }

  private onAppData(body: Uint8Array): void {
    const k = this.keys;
    if (!k || this.state !== 'open') return this.fail('tls: application data before the handshake finished', true);
    if (body.length < TAG) return this.fail('tls: record shorter than its tag', true);
    const d = createDecipheriv('aes-256-gcm', k.rx, nonce(k.rxIv, this.rxSeq++));
    d.setAuthTag(body.subarray(body.length - TAG));
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(body.subarray(0, body.length - TAG)), d.final()]);
    } catch (_e) {
      return this.fail(`tls: record ${this.rxSeq - 1} fails authentication`, true);
    }
    const cost = Math.ceil(plain.length * this.nsPerByte);
    this.spend(cost);
    this.rxCpuNs += cost;
    this.sink.appData(plain);
  }

  private get nsPerByte(): number {
    return this.opts.cpu?.nsPerByte ?? TLS_NS_PER_BYTE;
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

function record(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + body.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, HEADER);
  return out;
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

/** 12-byte GCM nonce: 4-byte salt from the key schedule, 8-byte record counter. */
function nonce(iv: Buffer, seq: number): Buffer {
  const n = Buffer.alloc(12);
  iv.copy(n, 0);
  n.writeBigUInt64BE(BigInt(seq), 4);
  return n;
}

function finishedMac(key: Buffer, label: string, transcript: Uint8Array): Buffer {
  return createHmac('sha256', key).update(label).update(transcript).digest();
}
