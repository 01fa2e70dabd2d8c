/** RFC 1071 Internet checksum pieces: 32-bit running sums folded to 16 bits at the end. */

/** Adds the big-endian 16-bit words of `b` (odd tail padded with zero) to `sum`. */
export function sumWords(b: Uint8Array, sum: number): number {
  const n = b.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[n]! << 8;
  // Fold early so the sum stays a small integer even for 64 KiB inputs.
  return (sum & 0xffff) + (sum >>> 16);
}

/** Folds a running sum and returns its one's complement, the checksum field value. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
