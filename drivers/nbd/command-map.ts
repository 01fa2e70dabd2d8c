import { REQ_FUA, REQ_OP } from '../../kernel/block/types.ts';
import { NBD_CMD_FLAG_FUA, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_TRIM, NBD_CMD_WRITE, NBD_CMD_WRITE_ZEROES } from './protocol/uapi.ts';
import type { NbdCmd } from './request.ts';

/** What the negotiated export allows (transmission flags). */
export interface ExportCaps {
  readonly canFlush: boolean;
  readonly canFua: boolean;
  readonly canTrim: boolean;
  readonly canWriteZeroes: boolean;
  readonly canCache: boolean;
}

/**
 * REQ_OP → NBD command and flags, as the export allows (nbd.c's nbd_send_cmd): REQ_FUA passed
 * through when advertised (else emulated by a FLUSH after the write's reply, when the server has a
 * cache), DISCARD → TRIM, WRITE_ZEROES → WRITE_ZEROES (else a WRITE of zeroes from the bounce
 * buffer). Answers false when there is nothing to send (complete at once).
 */
export function mapCommand(c: NbdCmd, x: ExportCaps, maxIo: number): boolean {
  const rq = c.rq!;
  c.flags = 0;
  c.postFlush = false;
  switch (rq.op) {
    case REQ_OP.READ: c.type = NBD_CMD_READ; return true;
    case REQ_OP.WRITE:
      c.type = NBD_CMD_WRITE;
      if ((rq.flags & REQ_FUA) !== 0) {
        if (x.canFua) c.flags = NBD_CMD_FLAG_FUA;
        else c.postFlush = x.canFlush;
      }
      return true;
    case REQ_OP.FLUSH: c.type = NBD_CMD_FLUSH; return x.canFlush;
    case REQ_OP.DISCARD: c.type = NBD_CMD_TRIM; return x.canTrim;
    case REQ_OP.WRITE_ZEROES: {
      if (x.canWriteZeroes) { c.type = NBD_CMD_WRITE_ZEROES; return true; }
      c.type = NBD_CMD_WRITE;
      const b = (c.bounce ??= new Uint8Array(maxIo));
      b.fill(0, 0, c.length);
      c.data = b.length === c.length ? b : b.subarray(0, c.length);
      c.bounced = true;
      return true;
    }
    default: return false;
  }
}
