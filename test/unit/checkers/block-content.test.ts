// The history tap reads content ids from the data: verify chunks of one write at their own
// offsets make a block's id (content id + 1), the initial content is 0, anything else -1.
import { describe, expect, it } from 'vitest';
import { fillPrefill } from '../../../hw-sim/disk/prefill.ts';
import { BlockContent } from '../../../scenarios/runner/block-content.ts';
import { fillChunk } from '../../../scenarios/workload/verify.ts';

const PAGE = 4096;

/** Two pages at device offset `off` written by verify content id `cid` (job 3), at `shift` bytes into a buffer. */
function written(cid: number, off: number, shift = 0): Uint8Array {
  const buf = new Uint8Array(shift + 2 * PAGE);
  for (let c = 0; c < 2 * PAGE; c += 512) fillChunk(buf, shift + c, 3, cid, off + c);
  return buf.subarray(shift);
}

describe('block content ids', () => {
  for (const shift of [0, 1]) {
    it(`reads verify pages as content id + 1 (buffer ${shift ? 'unaligned' : 'aligned'})`, () => {
      const ids: number[] = [];
      new BlockContent(PAGE, false).ofRead(written(41, 8192, shift), 8192, 2 * PAGE, ids);
      expect(ids).toEqual([42, 42]);
    });

    it(`a flipped body byte, a chunk at another offset or a page of two writes is -1 (${shift ? 'unaligned' : 'aligned'})`, () => {
      const c = new BlockContent(PAGE, false);
      const ids: number[] = [];
      const bad = written(41, 8192, shift);
      bad[PAGE + 700] = bad[PAGE + 700]! ^ 4;
      c.ofRead(bad, 8192, 2 * PAGE, ids);
      expect(ids).toEqual([42, -1]);
      c.ofRead(written(41, 8192, shift), 8192 + PAGE, 2 * PAGE, ids);
      expect(ids).toEqual([-1, -1]);
      const mixed = written(41, 8192, shift);
      fillChunk(mixed, 512, 3, 40, 8192 + 512);
      c.ofRead(mixed, 8192, 2 * PAGE, ids);
      expect(ids).toEqual([-1, 42]);
    });
  }

  it('zeros are the initial content of a plain device, the pattern that of a prefilled one', () => {
    const ids: number[] = [];
    const zeros = new Uint8Array(PAGE);
    const pattern = new Uint8Array(PAGE);
    fillPrefill(pattern, 0, 65536, PAGE);
    new BlockContent(PAGE, false).ofRead(zeros, 65536, PAGE, ids);
    expect(ids).toEqual([0]);
    new BlockContent(PAGE, false).ofRead(pattern, 65536, PAGE, ids);
    expect(ids).toEqual([-1]);
    new BlockContent(PAGE, true).ofRead(pattern, 65536, PAGE, ids);
    expect(ids).toEqual([0]);
    new BlockContent(PAGE, true).ofRead(zeros, 65536, PAGE, ids);
    expect(ids).toEqual([-1]);
    new BlockContent(PAGE, true).ofRead(pattern, 65536 + 512, PAGE, ids);
    expect(ids).toEqual([-1]);
  });

  it('a write is named by its first header per block; data without one is reported', () => {
    const ids: number[] = [];
    expect(new BlockContent(PAGE, false).ofWrite(written(6, 0), 2 * PAGE, ids)).toBe(true);
    expect(ids).toEqual([7, 7]);
    expect(new BlockContent(512, false).ofWrite(new Uint8Array(1024), 1024, ids)).toBe(false);
    expect(ids).toEqual([-1, -1]);
  });
});
