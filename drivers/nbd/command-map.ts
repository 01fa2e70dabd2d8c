import { NBD_CMD_CACHE, NBD_CMD_FLAG_FUA, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from './protocol/uapi.ts';
import { BlkFlag, BlkOp, type BlkRequest } from './ports.ts';
import type { NbdRequest } from './request.ts';

/** What the negotiated export allows (transmission flags). */
export interface ExportCaps {
  readonly canFlush: boolean;
  readonly canFua: boolean;
  readonly canTrim: boolean;
  readonly canWriteZeroes: boolean;
  readonly canCache: boolean;
}

/**
 * Block-layer command → NBD command and flags, as the export allows: FUA passed through when
 * advertised (else emulated by a FLUSH after the write's reply, when the server has a cache), discard → TRIM, write-zeroes → WRITE_ZEROES (else a WRITE of zeroes from the slab),
 * read-ahead → CACHE. Answers false when there is nothing to send (complete at once).
 */
export function mapCommand(r: NbdRequest, blk: BlkRequest, x: ExportCaps): boolean {
  r.cmdFlags = 0;
  r.postFlush = false;
  switch (blk.op) {
    case BlkOp.READ: r.cmd = NBD_CMD_READ; return true;
    case BlkOp.WRITE:
      r.cmd = NBD_CMD_WRITE;
      if ((blk.flags & BlkFlag.FUA) !== 0) {
        if (x.canFua) r.cmdFlags = NBD_CMD_FLAG_FUA;
        else r.postFlush = x.canFlush;
      }
      return true;
    case BlkOp.FLUSH: r.cmd = NBD_CMD_FLUSH; return x.canFlush;
    case BlkOp.DISCARD: r.cmd = NBD_CMD_TRIM; return x.canTrim;
    case BlkOp.WRITE_ZEROES:
      if (x.canWriteZeroes) { r.cmd = NBD_CMD_WRITE_ZEROES; return true; }
      r.cmd = NBD_CMD_WRITE;
      r.payload.fill(0, 0, r.length);
      return true;
    case BlkOp.READAHEAD: r.cmd = NBD_CMD_CACHE; return x.canCache;
    default: return false;
  }
}
