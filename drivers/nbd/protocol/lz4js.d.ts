// The two block functions of lz4js that payload-frame.ts uses (the package ships no types).
declare module 'lz4js' {
  export function compressBound(n: number): number;
  /** Compresses src[sIndex, sIndex+sLength) into dst; returns the compressed size, 0 when incompressible. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  /** Decompresses src[sIndex, sIndex+sLength) into dst from dIndex; returns the end index in dst. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
