import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * The TLS record of the simulated TLS-PSK (docs/architecture.md, "TLS"): type (u8) | length
 * (u32 BE) | body. Application data is AES-256-GCM: ciphertext then a 16-byte tag, with a 12-byte
 * nonce of a 4-byte salt from the key schedule and the record's 8-byte sequence number.
 */
export const TLS_RECORD = { CLIENT_HELLO: 1, SERVER_HELLO: 2, FINISHED: 3, ALERT: 21, APP_DATA: 23 } as const;
export const TLS_HEADER = 5;
export const TLS_TAG = 16;
/** Largest record body a receiver accepts (and so the largest plaintext one record carries). */
export const TLS_MAX_BODY = 1 << 25;
export const TLS_MAX_PLAINTEXT = TLS_MAX_BODY - TLS_TAG;

/**
 * Keys of one direction, as TLS_TX / TLS_RX hand them to the kernel (Linux's
 * tls12_crypto_info_aes_gcm_256: key, salt, record sequence). `seq` advances per record.
 */
export interface TlsCryptoInfo {
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  seq: number;
}

/** Keys of both directions, as a socket's TLS_TX and TLS_RX take them. */
export interface TlsKeys {
  tx: TlsCryptoInfo;
  rx: TlsCryptoInfo;
}

/** A record of `type` around `body`. */
export function frameRecord(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(TLS_HEADER + body.length);
  writeHeader(out, type, body.length);
  out.set(body, TLS_HEADER);
  return out;
}

/** Seals `plain` into one application-data record (allocates: only TLS connections pay this). */
export function sealRecord(ci: TlsCryptoInfo, plain: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', ci.key, nonce(ci.salt, ci.seq++));
  const out = new Uint8Array(TLS_HEADER + plain.length + TLS_TAG);
  writeHeader(out, TLS_RECORD.APP_DATA, plain.length + TLS_TAG);
  const head = c.update(plain);
  out.set(head, TLS_HEADER);
  const tail = c.final();
  out.set(tail, TLS_HEADER + head.length);
  out.set(c.getAuthTag(), TLS_HEADER + plain.length);
  return out;
}

/**
 * Opens an application-data record's body (ciphertext + tag); null when it fails authentication.
 * `checkTag` false is the injected bug tls-tag-unchecked: the plaintext is taken either way.
 */
export function openRecord(ci: TlsCryptoInfo, body: Uint8Array, checkTag = true): Uint8Array | null {
  if (body.length < TLS_TAG) return null;
  const d = createDecipheriv('aes-256-gcm', ci.key, nonce(ci.salt, ci.seq++));
  d.setAuthTag(body.subarray(body.length - TLS_TAG));
  const plain = d.update(body.subarray(0, body.length - TLS_TAG));
  try {
    return Buffer.concat([plain, d.final()]);
  } catch (_e) {
    return checkTag ? null : plain;
  }
}

function writeHeader(out: Uint8Array, type: number, len: number): void {
  out[0] = type;
  out[1] = len >>> 24;
  out[2] = (len >>> 16) & 0xff;
  out[3] = (len >>> 8) & 0xff;
  out[4] = len & 0xff;
}

/** 12-byte GCM nonce: the 4-byte salt, then the 8-byte record counter (never random). */
function nonce(salt: Uint8Array, seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.set(salt.subarray(0, 4), 0);
  n.writeBigUInt64BE(BigInt(seq), 4);
  return n;
}
