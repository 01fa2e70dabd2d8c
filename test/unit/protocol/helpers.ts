/** Test helpers: hex vectors, stream splitting, and a scripted server for handshake tests. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex: ${s}`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Cuts `b` at the given (sorted, deduplicated, in-range) positions; each piece is a fresh copy. */
export function splitAt(b: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pos = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), b.length)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pos, b.length]) {
    if (p > prev) out.push(b.slice(prev, p));
    prev = p;
  }
  return out;
}

export function ascii(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}
