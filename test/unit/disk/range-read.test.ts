// readRange: the same bytes and extents as read(), through every way a page comes and goes
// (cache, flush, rewrite after flush, trim, zero, crash, pattern prefill), whether the data comes
// as a page's place in its slab or as the pooled buffer.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk, type Extent, type PrefillKind, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { RngStreams, type Rng } from '../../../hw-sim/engine/rng.ts';

const model: ServiceTimeModel = {
  name: 't', latencyNs: { read: 1000, write: 1000, flush: 1000, trim: 100, zero: 100, status: 100 },
  bandwidth: 1e9, queueDepth: 4, jitter: 0,
};
const PAGE = 4096;
const PAGES = 16;

interface Seen { err: string | null; bytes: string | null; extents: Extent[] | null }

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function both(engine: Engine, disk: VirtualDisk, offset: number, length: number): { plain: Seen; range: Seen } {
  let plain: Seen | null = null;
  let range: Seen | null = null;
  const ext = (x: readonly Extent[] | null) => x && x.map((e) => ({ ...e }));
  disk.read(offset, length, (err, data, x) => { plain = { err, bytes: data && hex(data), extents: ext(x) }; });
  disk.readRange(offset, length, (err, data, at, x) => {
    range = { err, bytes: data && hex(data.subarray(at, at + length)), extents: ext(x) };
  });
  engine.run();
  return { plain: plain!, range: range! };
}

function check(engine: Engine, disk: VirtualDisk, rng: Rng): void {
  for (let p = 0; p < PAGES; p++) {
    const { plain, range } = both(engine, disk, p * PAGE, PAGE);
    expect(range).toEqual(plain);
    expect(range.bytes).toBe(hex(disk.peek(p * PAGE, PAGE)));
  }
  const off = rng.int(PAGES * PAGE - 1);
  const { plain, range } = both(engine, disk, off, 1 + rng.int(PAGES * PAGE - off));
  expect(range).toEqual(plain);
}

describe('readRange', () => {
  for (const prefill of ['zeros', 'pattern'] as PrefillKind[]) {
    for (const writeCache of [true, false]) {
      it(`reads as read() does through random writes, flushes, trims, zeroes and crashes (${prefill}, cache ${writeCache})`, () => {
        const engine = new Engine({ seed: 1, trace: false });
        const disk = new VirtualDisk(engine, { name: 'd', size: PAGES * PAGE, model, pageSize: PAGE, prefill, writeCache });
        const rng = new RngStreams(7).get('range-read');
        const done = () => {};
        check(engine, disk, rng);
        for (let step = 0; step < 200; step++) {
          const p = rng.int(PAGES);
          const n = 1 + rng.int(3);
          const len = Math.min(n, PAGES - p) * PAGE;
          switch (rng.int(8)) {
            case 0: case 1: case 2:
              disk.write(p * PAGE, new Uint8Array(len).fill(1 + rng.int(255)), rng.int(4) === 0, done);
              break;
            case 3:
              disk.write(p * PAGE + 100, new Uint8Array(300).fill(1 + rng.int(255)), false, done);
              break;
            case 4: disk.flush(done); break;
            case 5: disk.trim(p * PAGE, len, rng.int(2) === 0, done); break;
            case 6: disk.zero(p * PAGE, len, rng.int(2) === 0, false, done); break;
            case 7: if (rng.int(3) === 0) disk.crash(); break;
          }
          engine.run();
          check(engine, disk, rng);
        }
      });
    }
  }

  it('hands a whole data page as its place in a shared buffer, not a view of its own', () => {
    const engine = new Engine({ seed: 1, trace: false });
    const disk = new VirtualDisk(engine, { name: 'd', size: PAGES * PAGE, model, pageSize: PAGE });
    disk.write(0, new Uint8Array(2 * PAGE).fill(7), false, () => {});
    engine.run();
    const got: { len: number; at: number }[] = [];
    disk.readRange(PAGE, PAGE, (_e, data, at) => { got.push({ len: data!.length, at }); });
    engine.run();
    expect(got[0]!.len).toBeGreaterThan(PAGE);
    expect(got[0]!.at).toBeGreaterThanOrEqual(PAGE);
  });
});
