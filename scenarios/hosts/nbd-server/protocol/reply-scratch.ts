import { NBD_EXTENDED_REPLY_SIZE, NBD_SIMPLE_REPLY_SIZE, NBD_STRUCTURED_REPLY_HEADER_SIZE } from '../../../../drivers/nbd/protocol/uapi.ts';

/**
 * A session's reply scratch: header bytes and the list of pieces, rewritten by every reply. The
 * pieces are handed to `io.send` at once (a delayed reply copies them first), so one set serves
 * all replies; views for the one-chunk shapes are made once (again when extended headers start).
 */
export class ReplyScratch {
  headers = new Uint8Array(64);
  readonly pieces: Uint8Array[] = [];
  /** Chunk header size: 20 (structured) or 32 (extended). */
  private h = NBD_STRUCTURED_REPLY_HEADER_SIZE;
  simple = this.headers.subarray(0, NBD_SIMPLE_REPLY_SIZE);
  none = this.headers.subarray(0, this.h);
  dataHeader = this.headers.subarray(0, this.h + 8);

  /** NBD_OPT_EXTENDED_HEADERS was acknowledged: chunk headers are 32 bytes from now on. */
  setExtended(ext: boolean): void {
    this.h = ext ? NBD_EXTENDED_REPLY_SIZE : NBD_STRUCTURED_REPLY_HEADER_SIZE;
    this.views();
  }

  /** Room for `n` chunk headers of CHUNK_SLOT bytes. */
  reserve(n: number): Uint8Array {
    if (this.headers.length < CHUNK_SLOT * n) {
      this.headers = new Uint8Array(CHUNK_SLOT * n);
      this.views();
    }
    this.pieces.length = 0;
    return this.headers;
  }

  private views(): void {
    this.simple = this.headers.subarray(0, NBD_SIMPLE_REPLY_SIZE);
    this.none = this.headers.subarray(0, this.h);
    this.dataHeader = this.headers.subarray(0, this.h + 8);
  }
}

/** Room per chunk header in the scratch: an extended OFFSET_HOLE (32 + 8 + 4) fits. */
export const CHUNK_SLOT = 48;
