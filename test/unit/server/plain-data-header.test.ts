import { describe, expect, it } from 'vitest';
import { encodeReplyHeader } from '../../../drivers/nbd/protocol/encode-transmission.ts';
import { NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, NBD_STRUCTURED_REPLY_HEADER_SIZE } from '../../../drivers/nbd/protocol/uapi.ts';
import { put64 } from '../../../drivers/nbd/protocol/wire.ts';
import { ReplyScratch } from '../../../scenarios/hosts/nbd-server/protocol/reply-scratch.ts';

// The server's fast path writes a one-chunk READ reply's header by hand; the wire contract is the
// shared encoder's (encodeReplyHeader + the chunk's 64-bit offset).
describe('ReplyScratch.plainDataHeader', () => {
  const cases: [number, number, number, number][] = [
    [0, 1, 0, 4096],
    [0x80000001, 0xfffffffe, 2 ** 40 + 512, 65536],
    [0xffffffff, 0, 2 ** 53 - 4096, 0],
  ];
  for (const [hi, lo, offset, len] of cases) {
    it(`is the shared encoder's OFFSET_DATA header (cookie ${hi}:${lo}, offset ${offset}, ${len} bytes)`, () => {
      const want = new Uint8Array(NBD_STRUCTURED_REPLY_HEADER_SIZE + 8);
      encodeReplyHeader(false, want, 0, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, hi, lo, offset, 8 + len);
      put64(want, NBD_STRUCTURED_REPLY_HEADER_SIZE, offset);
      const x = new ReplyScratch();
      x.reserve(4); // a grown scratch writes through its new buffer
      expect([...x.plainDataHeader(hi, lo, offset, len)]).toEqual([...want]);
    });
  }
});
