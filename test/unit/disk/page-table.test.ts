import { describe, expect, it } from 'vitest';
import { PageNumbers, PageTable } from '../../../hw-sim/disk/page-table.ts';
import { PageAllocator, SparsePages } from '../../../hw-sim/disk/sparse-pages.ts';
import { CachedMedia } from '../../../hw-sim/disk/cached-media.ts';

describe('PageTable', () => {
  it('maps indexes across leaves and far apart, counts entries, keeps null as a value', () => {
    const t = new PageTable<string | null>();
    const far = 2 ** 40 + 5; // beyond 32 bits: a 4 PiB disk of 4 KiB pages
    t.set(3, 'a');
    t.set(1024, 'b'); // first slot of the second leaf
    t.set(far, null);
    t.set(3, 'a2'); // an overwrite is not a new entry
    expect(t.size).toBe(3);
    expect([t.get(3), t.get(1024), t.get(far), t.get(4), t.get(far + 1)]).toEqual(['a2', 'b', null, undefined, undefined]);
    expect(t.has(far)).toBe(true);
    expect(t.delete(1024)).toBe(true);
    expect(t.delete(1024)).toBe(false);
    expect(t.size).toBe(2);
    const seen: [number, string | null][] = [];
    t.set(1023, 'c');
    t.forEach((v, i) => seen.push([i, v]));
    expect(seen).toEqual([[3, 'a2'], [1023, 'c'], [far, null]]);
    t.clear();
    expect([t.size, t.get(3)]).toEqual([0, undefined]);
  });
});

describe('page runs copied whole', () => {
  const ps = 16;
  const bytes = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);

  it('a write over pages allocated out of order lands byte for byte', () => {
    const p = new SparsePages(ps);
    // Pages 2 and 0 first (slab slots 0 and 1), then one write over pages 0..3 from offset 5:
    // pages 1 and 3 take slots 2 and 3, so the pieces are runs [0, 1], [2], [3].
    p.write(2 * ps, new Uint8Array(ps).fill(9));
    p.write(0, new Uint8Array(ps).fill(9));
    const data = bytes(3 * ps, 100);
    p.write(5, data);
    const out = new Uint8Array(4 * ps);
    p.read(0, 4 * ps, out);
    const want = new Uint8Array(4 * ps); // page 3 past the write was never written: zeros
    want.fill(9, 0, 5);
    want.set(data, 5);
    expect(out).toEqual(want);
  });

  it('the write cache takes a multi-page write into fresh and dirty pages alike', () => {
    const m = new CachedMedia(ps, true);
    m.write(ps, new Uint8Array(ps).fill(7), false); // page 1 dirty first
    const data = bytes(4 * ps - 3, 1);
    m.write(3, data, false);
    const out = new Uint8Array(4 * ps);
    m.read(0, 4 * ps, out);
    const want = new Uint8Array(4 * ps);
    want.set(data, 3);
    expect(out).toEqual(want);
    expect(m.dirtyPages).toBe(4);
    m.flush();
    expect(m.dirtyPages).toBe(0);
    const durable = new Uint8Array(4 * ps);
    m.readDurable(0, 4 * ps, durable);
    expect(durable).toEqual(want);
  });
});

describe('pages given back are reused', () => {
  const ps = 16;

  it('the allocator hands a freed page out again, zeroed unless the caller overwrites it all', () => {
    const a = new PageAllocator(ps);
    const p = a.page().fill(5);
    a.free(p);
    const again = a.page();
    expect(again).toBe(p);
    expect([...again]).toEqual(new Array(ps).fill(0));
    a.free(again.fill(6));
    expect(a.page(false)).toBe(p); // contents unspecified: not zeroed
  });

  it('a partial write into a hole reads zeros around its bytes although the page was a flushed or crashed one', () => {
    const m = new CachedMedia(ps, true);
    m.write(0, new Uint8Array(ps).fill(0xaa), false);
    m.flush();
    m.write(0, new Uint8Array(ps).fill(0xbb), false);
    m.flush(); // the 0xaa media page is free now
    m.write(2 * ps, new Uint8Array(ps).fill(0xcc), false);
    expect(m.drop()).toBe(1); // the 0xcc cache page is free now
    m.write(5 * ps + 3, new Uint8Array([1, 2]), false);
    m.write(7 * ps + 8, new Uint8Array([3]), true); // FUA: straight onto the media too
    const out = new Uint8Array(8 * ps);
    m.read(0, 8 * ps, out);
    const want = new Uint8Array(8 * ps);
    want.fill(0xbb, 0, ps);
    want.set([1, 2], 5 * ps + 3);
    want[7 * ps + 8] = 3;
    expect(out).toEqual(want);
  });
});

describe('where pages live', () => {
  it('a page is found again from its place, a small integer even past the slabs of the first GiB', () => {
    const ps = 4096;
    const a = new PageAllocator(ps);
    // 8 MiB of pages: slabs 256 KiB, 512 KiB, 1, 2 and 4 MiB; the fifth slab's would be byte
    // addresses past 2^30 (slab number * 256 MiB), no longer small integers.
    const pages: Uint8Array[] = [];
    for (let i = 0; i < 2048; i++) pages.push(a.page(false));
    for (const i of [0, 63, 64, 1000, 2047]) {
      const p = pages[i]!;
      p[0] = i & 0xff;
      const at = a.at(p);
      expect(at).toBeLessThan(2 ** 30);
      expect(a.bufferOf(at)).toBe(p.buffer);
      expect(a.offsetOf(at)).toBe(p.byteOffset);
      expect(a.viewOf(at)[a.offsetOf(at)]).toBe(i & 0xff);
    }
  });

  it('PageNumbers keeps integers below 2^31 and refuses others', () => {
    const n = new PageNumbers();
    n.set(5, 2 ** 31 - 1);
    n.set(2 ** 40, 7);
    expect([n.get(5), n.get(2 ** 40), n.get(6)]).toEqual([2 ** 31 - 1, 7, 0]);
    expect(() => n.set(1, 2 ** 31)).toThrow(RangeError);
    expect(() => n.set(1, 1.5)).toThrow(RangeError);
    expect(() => n.set(1, -1)).toThrow(RangeError);
  });
});
