/**
 * The UDP transport's datagram format (docs/nbd-extensions.md, "UDP transport"), both directions,
 * for the client (drivers/nbd/transport) and the server (scenarios/hosts/nbd-server). Every
 * datagram is self-describing: a 56-byte header, then at most one fragment of a payload. Decoding
 * never throws; a malformed datagram becomes a UdpDatagramError (the receiver drops it and counts).
 *
 *   0 magic u32 · 4 flags u16 · 6 type u16 · 8 token u64 · 16 cookie u64 · 24 offset u64 ·
 *   32 length u32 · 36 error u32 · 40 fragment offset u32 · 44 fragment count u16 ·
 *   46 generation u16 · 48 acked-below u64 · 56 data
 */
import { get16, get32, put16, put32 } from './wire.ts';
import {
  NBD_CMD_READ, NBD_CMD_WRITE, NBD_ORION_UDP_GRANT_SIZE, NBD_ORION_UDP_HEADER_SIZE, NBD_ORION_UDP_MIN_DATAGRAM,
  NBD_ORION_UDP_REPLY_MAGIC, NBD_ORION_UDP_REQUEST_MAGIC,
} from './uapi.ts';

/** One datagram's header; `data` is a view of the datagram (valid as long as the datagram is). */
export interface UdpDatagram {
  reply: boolean;
  flags: number;
  type: number;
  tokenHi: number;
  tokenLo: number;
  cookie: number;
  offset: number;
  length: number;
  error: number;
  fragOffset: number;
  fragCount: number;
  generation: number;
  ackedBelow: number;
  data: Uint8Array;
}

export type UdpDatagramErrorCode = 'short' | 'bad-magic' | 'bad-value' | 'out-of-range' | 'bad-fragment';

/** Why a datagram was dropped: what, and which field. */
export class UdpDatagramError {
  constructor(readonly code: UdpDatagramErrorCode, readonly where: string, readonly detail: string) {}
  get message(): string {
    return `udp datagram ${this.where}: ${this.detail} [${this.code}]`;
  }
}

export function emptyDatagram(): UdpDatagram {
  return { reply: false, flags: 0, type: 0, tokenHi: 0, tokenLo: 0, cookie: 0, offset: 0, length: 0, error: 0, fragOffset: 0, fragCount: 1, generation: 0, ackedBelow: 0, data: new Uint8Array(0) };
}

/** True when this message carries a payload split into fragments: a WRITE, or a successful READ reply. */
export function carriesPayload(d: Pick<UdpDatagram, 'reply' | 'type' | 'error'>): boolean {
  return d.reply ? d.type === NBD_CMD_READ && d.error === 0 : d.type === NBD_CMD_WRITE;
}

/** Datagrams a payload of `length` bytes takes with `maxData` data bytes per datagram (at least 1). */
export function fragmentCount(length: number, maxData: number): number {
  return length === 0 ? 1 : Math.ceil(length / maxData);
}

const TWO32 = 0x1_0000_0000;
/** Largest high word of a u64 that is still a safe integer. */
const SAFE_HI = 0x1fffff;

function put64(b: Uint8Array, off: number, v: number): void {
  put32(b, off, Math.floor(v / TWO32));
  put32(b, off + 4, v >>> 0);
}

/** Writes `h`'s 56-byte header at `off` of `b` (data is not copied). */
export function encodeUdpHeader(b: Uint8Array, off: number, h: Omit<UdpDatagram, 'data'>): void {
  put32(b, off, h.reply ? NBD_ORION_UDP_REPLY_MAGIC : NBD_ORION_UDP_REQUEST_MAGIC);
  put16(b, off + 4, h.flags);
  put16(b, off + 6, h.type);
  put32(b, off + 8, h.tokenHi);
  put32(b, off + 12, h.tokenLo);
  put64(b, off + 16, h.cookie);
  put64(b, off + 24, h.offset);
  put32(b, off + 32, h.length);
  put32(b, off + 36, h.error);
  put32(b, off + 40, h.fragOffset);
  put16(b, off + 44, h.fragCount);
  put16(b, off + 46, h.generation & 0xffff);
  put64(b, off + 48, h.ackedBelow);
}

/** A whole datagram: header, then `data` (a copy). */
export function encodeUdpDatagram(h: Omit<UdpDatagram, 'data'>, data?: Uint8Array): Uint8Array {
  const b = new Uint8Array(NBD_ORION_UDP_HEADER_SIZE + (data?.length ?? 0));
  encodeUdpHeader(b, 0, h);
  if (data) b.set(data, NBD_ORION_UDP_HEADER_SIZE);
  return b;
}

function u64(b: Uint8Array, off: number, where: string): number | UdpDatagramError {
  const hi = get32(b, off);
  if (hi > SAFE_HI) return new UdpDatagramError('out-of-range', where, `0x${hi.toString(16)}${get32(b, off + 4).toString(16).padStart(8, '0')} is beyond 2^53`);
  return hi * TWO32 + get32(b, off + 4);
}

/**
 * Decodes `b` into `out` (reused). `expectReply`: the direction this end receives. Returns null,
 * or why the datagram must be dropped; `out` is partly written then.
 */
export function decodeUdpDatagram(b: Uint8Array, expectReply: boolean, out: UdpDatagram): UdpDatagramError | null {
  if (b.length < NBD_ORION_UDP_HEADER_SIZE) return new UdpDatagramError('short', 'header', `${b.length} bytes, the header alone is ${NBD_ORION_UDP_HEADER_SIZE}`);
  const magic = get32(b, 0);
  const want = expectReply ? NBD_ORION_UDP_REPLY_MAGIC : NBD_ORION_UDP_REQUEST_MAGIC;
  if (magic !== want) return new UdpDatagramError('bad-magic', 'magic', `expected 0x${want.toString(16)}, got 0x${magic.toString(16).padStart(8, '0')}`);
  out.reply = expectReply;
  out.flags = get16(b, 4);
  out.type = get16(b, 6);
  out.tokenHi = get32(b, 8);
  out.tokenLo = get32(b, 12);
  const cookie = u64(b, 16, 'cookie');
  if (cookie instanceof UdpDatagramError) return cookie;
  const offset = u64(b, 24, 'offset');
  if (offset instanceof UdpDatagramError) return offset;
  const acked = u64(b, 48, 'acked-below');
  if (acked instanceof UdpDatagramError) return acked;
  out.cookie = cookie;
  out.offset = offset;
  out.ackedBelow = acked;
  out.length = get32(b, 32);
  out.error = get32(b, 36);
  out.fragOffset = get32(b, 40);
  out.fragCount = get16(b, 44);
  out.generation = get16(b, 46);
  out.data = b.subarray(NBD_ORION_UDP_HEADER_SIZE);
  if (expectReply && out.flags !== 0) return new UdpDatagramError('bad-value', 'flags', `a reply carries no flags, got 0x${out.flags.toString(16)}`);
  if (expectReply && out.ackedBelow !== 0) return new UdpDatagramError('bad-value', 'acked-below', `must be 0 in a reply, got ${out.ackedBelow}`);
  if (!expectReply && out.error !== 0) return new UdpDatagramError('bad-value', 'error', `must be 0 in a request, got ${out.error}`);
  if (out.fragCount === 0) return new UdpDatagramError('bad-fragment', 'fragment-count', 'must be at least 1');
  const n = out.data.length;
  if (carriesPayload(out)) {
    if (out.fragOffset + n > out.length) return new UdpDatagramError('bad-fragment', 'fragment-offset', `${n} bytes at ${out.fragOffset} overrun the ${out.length}-byte payload`);
    if (n === 0 && out.length > 0) return new UdpDatagramError('bad-fragment', 'data', `a fragment of a ${out.length}-byte payload carries no data`);
    if (out.fragCount > out.length) return new UdpDatagramError('bad-fragment', 'fragment-count', `${out.fragCount} fragments for ${out.length} bytes`);
  } else if (n !== 0 || out.fragOffset !== 0 || out.fragCount !== 1) {
    return new UdpDatagramError('bad-fragment', 'data', `this message carries no payload, got ${n} bytes at ${out.fragOffset} in ${out.fragCount} fragments`);
  }
  return null;
}

/** What NBD_REP_ORION_UDP grants: the server's UDP port, the datagram size, the session token. */
export interface UdpGrant {
  port: number;
  /** Largest datagram (header + data) either end sends. */
  datagram: number;
  tokenHi: number;
  tokenLo: number;
}

/** Data of NBD_OPT_ORION_UDP_TRANSPORT: the largest datagram the client can take. */
export function encodeUdpOptionData(datagram: number): Uint8Array {
  const b = new Uint8Array(2);
  put16(b, 0, datagram);
  return b;
}

export function parseUdpOptionData(d: Uint8Array): number | UdpDatagramError {
  if (d.length !== 2) return new UdpDatagramError('bad-value', 'option.length', `NBD_OPT_ORION_UDP_TRANSPORT data is 2 bytes, got ${d.length}`);
  const n = get16(d, 0);
  if (n < NBD_ORION_UDP_MIN_DATAGRAM) return new UdpDatagramError('bad-value', 'option.datagram', `datagram size ${n} below the minimum ${NBD_ORION_UDP_MIN_DATAGRAM}`);
  return n;
}

export function encodeUdpGrant(g: UdpGrant): Uint8Array {
  const b = new Uint8Array(NBD_ORION_UDP_GRANT_SIZE);
  put16(b, 0, g.port);
  put16(b, 2, g.datagram);
  put32(b, 4, g.tokenHi);
  put32(b, 8, g.tokenLo);
  return b;
}

/** Parses NBD_REP_ORION_UDP's data; `asked` is the datagram size the client offered. */
export function parseUdpGrant(d: Uint8Array, asked: number): UdpGrant | UdpDatagramError {
  if (d.length !== NBD_ORION_UDP_GRANT_SIZE) return new UdpDatagramError('bad-value', 'grant.length', `NBD_REP_ORION_UDP data is ${NBD_ORION_UDP_GRANT_SIZE} bytes, got ${d.length}`);
  const port = get16(d, 0);
  const datagram = get16(d, 2);
  if (port === 0) return new UdpDatagramError('bad-value', 'grant.port', 'port 0');
  if (datagram < NBD_ORION_UDP_MIN_DATAGRAM || datagram > asked) return new UdpDatagramError('bad-value', 'grant.datagram', `datagram size ${datagram} outside ${NBD_ORION_UDP_MIN_DATAGRAM}..${asked}`);
  return { port, datagram, tokenHi: get32(d, 4), tokenLo: get32(d, 8) };
}
