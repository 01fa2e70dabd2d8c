import {
  NBD_EXTENDED_REPLY_SIZE, NBD_ORION_HEADER_CHECKSUM_SIZE, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_SIMPLE_REPLY_SIZE,
  NBD_STRUCTURED_REPLY_HEADER_SIZE, NBD_STRUCTURED_REPLY_MAGIC,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import { sealChunk, sealHeader } from '../../../../drivers/nbd/protocol/header-checksum.ts';

/**
 * A session's reply scratch: header bytes and the list of pieces, rewritten by every reply. The
 * pieces are handed to `io.send` at once (a delayed reply copies them first), so one set serves
 * all replies; views for the one-chunk shapes are made once (again when extended headers start).
 */
export class ReplyScratch {
  headers = new Uint8Array(64);
  /** The headers' bytes as a DataView (its set calls are compiled to plain stores). */
  private fields = new DataView(this.headers.buffer);
  /** The reply's pieces: [0, n) of a list kept at its size (emptying a JS array frees its storage). */
  private readonly pieces: Uint8Array[] = [];
  private n = 0;
  /** Chunk header size: 20 (structured) or 32 (extended). */
  private h = NBD_STRUCTURED_REPLY_HEADER_SIZE;
  /** Bytes of a header checksum after each header: 4 when checksums are in force, else 0. */
  hc = 0;
  simple = this.headers.subarray(0, NBD_SIMPLE_REPLY_SIZE);
  none = this.headers.subarray(0, this.h);
  dataHeader = this.headers.subarray(0, this.h + 8);

  /**
   * Transmission starts: chunk headers are 32 bytes when NBD_OPT_EXTENDED_HEADERS was acknowledged,
   * and each header is sealed with its CRC-32C when checksums are in force.
   */
  setExtended(ext: boolean, sealed = false): void {
    this.h = ext ? NBD_EXTENDED_REPLY_SIZE : NBD_STRUCTURED_REPLY_HEADER_SIZE;
    this.hc = sealed ? NBD_ORION_HEADER_CHECKSUM_SIZE : 0;
    this.views();
  }

  /** Seals the `n` header (or buffered payload) bytes at `off` when checksums are in force; the length on the wire. */
  seal(b: Uint8Array, off: number, n: number): number {
    return this.hc !== 0 ? sealHeader(b, off, n) : n;
  }

  /** A fresh chunk [header | payload] as it goes on the wire (sealed when checksums are in force). */
  sealed(chunk: Uint8Array): Uint8Array {
    return this.hc !== 0 ? sealChunk(chunk, this.h) : chunk;
  }

  /**
   * The header of a READ answered by one OFFSET_DATA chunk flagged DONE (structured, not extended,
   * unsealed: plain) of `length` data bytes, in the scratch: encodeChunkHeader's put32 and put16
   * were left as calls on this path, nine per reply.
   */
  plainDataHeader(cookieHi: number, cookieLo: number, offset: number, length: number): Uint8Array {
    const v = this.fields;
    this.n = 0;
    v.setUint32(0, NBD_STRUCTURED_REPLY_MAGIC);
    v.setUint16(4, NBD_REPLY_FLAG_DONE);
    v.setUint16(6, NBD_REPLY_TYPE_OFFSET_DATA);
    v.setUint32(8, cookieHi);
    v.setUint32(12, cookieLo);
    v.setUint32(16, 8 + length);
    v.setUint32(20, Math.floor(offset / 0x100000000));
    v.setUint32(24, offset);
    return this.dataHeader;
  }

  /** Room for `n` chunk headers of CHUNK_SLOT bytes. */
  reserve(n: number): Uint8Array {
    if (this.headers.length < CHUNK_SLOT * n) {
      this.headers = new Uint8Array(CHUNK_SLOT * n);
      this.fields = new DataView(this.headers.buffer);
      this.views();
    }
    this.n = 0;
    return this.headers;
  }

  /** Appends pieces to the reply begun by `reserve`. */
  add(a: Uint8Array, b?: Uint8Array, c?: Uint8Array): void {
    this.pieces[this.n++] = a;
    if (b !== undefined) this.pieces[this.n++] = b;
    if (c !== undefined) this.pieces[this.n++] = c;
  }

  /** The reply's pieces, in order (valid until the next `reserve`). */
  list(): Uint8Array[] {
    if (this.pieces.length !== this.n) this.pieces.length = this.n;
    return this.pieces;
  }

  private views(): void {
    this.simple = this.headers.subarray(0, NBD_SIMPLE_REPLY_SIZE + this.hc);
    this.none = this.headers.subarray(0, this.h + this.hc);
    this.dataHeader = this.headers.subarray(0, this.h + this.hc + 8);
  }
}

/** Room per chunk header in the scratch: an extended OFFSET_HOLE with both checksums (32 + 4 + 12 + 4) fits. */
export const CHUNK_SLOT = 56;
