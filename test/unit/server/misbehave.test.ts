// The READ-rewriting misbehaviours: reversed-chunks splits one OFFSET_DATA chunk into two, second
// half first, each at its own offset; stale-reply copies a reply with the generation one less and
// other data. Other reply shapes are left for the next reply (null).
import { describe, expect, it } from 'vitest';
import { encodeChunkHeader, encodeSimpleReply } from '../../../drivers/nbd/protocol/encode-transmission.ts';
import { get16, get32, get64, put64 } from '../../../drivers/nbd/protocol/wire.ts';
import { reversedChunks, staleCopy } from '../../../scenarios/hosts/nbd-server/protocol/misbehave.ts';

/** One structured OFFSET_DATA chunk (DONE) for cookie 5:7 at `offset` with `data`. */
function chunkReply(offset: number, data: Uint8Array): Uint8Array[] {
  const h = new Uint8Array(28);
  encodeChunkHeader(h, 0, 1, 1, 5, 7, 8 + data.length); // flags DONE, type OFFSET_DATA
  put64(h, 20, offset);
  return [h, data];
}

describe('reversed-chunks', () => {
  it('4 KiB at 8192 becomes [10240 +2048, not done] then [8192 +2048, done]', () => {
    const data = Uint8Array.from({ length: 4096 }, (_, i) => i & 255);
    const out = reversedChunks(true, false, chunkReply(8192, data))!;
    expect(out.length).toBe(4);
    const [h1, d1, h2, d2] = out as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect([get16(h1, 4), get16(h1, 6), get32(h1, 8), get32(h1, 12), get32(h1, 16), get64(h1, 20)]).toEqual([0, 1, 5, 7, 8 + 2048, 10240]);
    expect([get16(h2, 4), get16(h2, 6), get32(h2, 16), get64(h2, 20)]).toEqual([1, 1, 8 + 2048, 8192]);
    expect(d1[0]).toBe(2048 & 255);
    expect(d1.length).toBe(2048);
    expect(d2[0]).toBe(0);
    expect(d2.length).toBe(2048);
  });

  it('leaves simple replies, extended headers, small reads and replies without data for later', () => {
    const simple = new Uint8Array(16);
    encodeSimpleReply(simple, 0, 0, 5, 7);
    expect(reversedChunks(false, false, [simple, new Uint8Array(4096)])).toBeNull();
    expect(reversedChunks(true, true, chunkReply(0, new Uint8Array(4096)))).toBeNull();
    expect(reversedChunks(true, false, chunkReply(0, new Uint8Array(512)))).toBeNull();
    expect(reversedChunks(true, false, [chunkReply(0, new Uint8Array(0))[0]!])).toBeNull();
  });
});

describe('stale-reply', () => {
  it('copies the header with the generation one less, and fills the data with 0xa5', () => {
    const reply = chunkReply(8192, new Uint8Array(4096));
    const [h, d] = staleCopy(reply)! as [Uint8Array, Uint8Array];
    expect([get32(h, 8), get32(h, 12), get64(h, 20)]).toEqual([4, 7, 8192]);
    expect(get32(reply[0]!, 8)).toBe(5); // the real reply is untouched
    expect(d.length).toBe(4096);
    expect(d.every((b) => b === 0xa5)).toBe(true);
    expect(staleCopy([reply[0]!])).toBeNull();
  });
});
