/** Big-endian field writers and readers on plain byte arrays (no DataView per call). */

export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** u64 from a non-negative integer number (exact below 2^53). */
export function put64(b: Uint8Array, off: number, v: number): void {
  put32(b, off, Math.floor(v / 0x100000000));
  put32(b, off + 4, v >>> 0);
}

export function put64n(b: Uint8Array, off: number, v: bigint): void {
  put32(b, off, Number((v >> 32n) & 0xffffffffn));
  put32(b, off + 4, Number(v & 0xffffffffn));
}

export function get16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

export function get32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function get64(b: Uint8Array, off: number): number {
  return get32(b, off) * 0x100000000 + get32(b, off + 4);
}

/** Big-endian u64 at `off` of a DataView as a number (exact below 2^53): get64 for headers read in place (ByteQueue.peekView). */
export function view64(v: DataView, off: number): number {
  return v.getUint32(off) * 0x100000000 + v.getUint32(off + 4);
}

export function get64n(b: Uint8Array, off: number): bigint {
  return (BigInt(get32(b, off)) << 32n) | BigInt(get32(b, off + 4));
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

export function utf8String(b: Uint8Array): string {
  return utf8d.decode(b);
}
