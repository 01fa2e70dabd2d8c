import { describe, expect, it } from 'vitest';
import { CrashLoss } from '../../../scenarios/checkers/crash-loss.ts';

const B = 4096;

describe('crash-loss observer', () => {
  it('counts a block whose acknowledged pre-crash content the first read after the crash does not return', () => {
    const c = new CrashLoss(B);
    c.writeIssued(1, 1 * B, B, [11]);
    c.writeDone(1, true, 200);
    c.writeIssued(2, 2 * B, B, [22]);
    c.writeDone(2, true, 300);
    c.crash(1000);
    c.readDone(1 * B, 2 * B, 1500, [0, 22]); // block 1 rolled back to the initial content, block 2 kept
    c.readDone(1 * B, B, 1700, [0]); // a second read of block 1 is not counted again
    expect(c.report()).toEqual({ blocksLost: 1, blocksChecked: 2, example: 'block 1: content 11 acknowledged before the crash at 1µs, the first read after it saw 0' });
  });

  it('ignores blocks written after the crash, in flight at it, failed, trimmed, and reads issued before it', () => {
    const c = new CrashLoss(B);
    c.writeIssued(1, 1 * B, B, [11]); c.writeDone(1, true, 100);
    c.writeIssued(2, 2 * B, B, [21]); // in flight at the crash
    c.writeIssued(3, 3 * B, B, [31]); c.writeDone(3, false, 100);
    c.writeIssued(4, 4 * B, B, undefined); c.writeDone(4, true, 100); // a trim: content unknown
    c.writeIssued(5, 5 * B, B, [51]); c.writeDone(5, true, 100);
    c.crash(1000);
    c.writeDone(2, true, 1100);
    c.writeIssued(6, 1 * B, B, [12]); c.writeDone(6, true, 1200);
    c.readDone(5 * B, B, 900, [0]); // issued before the crash
    c.readDone(1 * B, 4 * B, 1500, [12, 0, 0, 0]);
    expect(c.report()).toEqual({ blocksLost: 0, blocksChecked: 0, example: undefined });
  });

  it('takes the write acknowledged last before the crash', () => {
    const c = new CrashLoss(B);
    c.writeIssued(1, 0, B, [11]);
    c.writeIssued(2, 0, B, [12]);
    c.writeDone(2, true, 300);
    c.writeDone(1, true, 500);
    c.crash(1000);
    c.readDone(0, B, 1500, [11]);
    expect(c.report()).toMatchObject({ blocksLost: 0, blocksChecked: 1 });
  });
});
