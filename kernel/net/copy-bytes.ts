/**
 * dst[dstOff..] = src[srcOff, srcOff + n): without the subarray view TypedArray.set would need
 * (an allocation per copy): the whole source is set directly, short runs are copied by a loop.
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (srcOff === 0 && n === src.length) {
    dst.set(src, dstOff);
  } else if (n <= 64) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}
