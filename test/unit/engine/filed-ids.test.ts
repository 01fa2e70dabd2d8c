import { describe, expect, it } from 'vitest';
import { FiledIds, TraceBus } from '../../../hw-sim/engine/trace.ts';

describe('trace context: request ids filed per flow by cookie', () => {
  it('a cookie is taken once; another generation of the same tag is not it; flows are apart', () => {
    const bus = new TraceBus(() => 0);
    const a = bus.requestIdsOf('10.0.0.1:49152');
    expect(bus.requestIdsOf('10.0.0.1:49152')).toBe(a);
    const gen1tag3 = 1 * 2 ** 32 + 3;
    a.file(gen1tag3, 17);
    expect(bus.requestIdsOf('10.0.0.1:49153').take(gen1tag3)).toBeUndefined();
    expect(a.take(2 * 2 ** 32 + 3)).toBeUndefined(); // tag 3 of generation 2: never filed
    expect(a.take(gen1tag3)).toBe(17);
    expect(a.take(gen1tag3)).toBeUndefined(); // taken
    a.file(gen1tag3, 18); // the tag's next request
    expect(a.take(gen1tag3)).toBe(18);
  });

  it('idOf reads a filing without taking it; a later generation of the tag replaces it', () => {
    const ids = new FiledIds();
    const gen1tag3 = 1 * 2 ** 32 + 3;
    ids.file(gen1tag3, 17);
    expect(ids.idOf(gen1tag3)).toBe(17);
    expect(ids.idOf(gen1tag3)).toBe(17);
    expect(ids.idOf(3)).toBeUndefined(); // generation 0 of tag 3
    ids.file(2 * 2 ** 32 + 3, 21);
    expect(ids.idOf(gen1tag3)).toBeUndefined();
    expect(ids.idOf(2 * 2 ** 32 + 3)).toBe(21);
  });

  it('a tag far past the driver\'s queue slots (a peer chose the cookie) files and takes the same way', () => {
    const ids = new FiledIds();
    const far = 7 * 2 ** 32 + 0xffff_fff0;
    ids.file(far, 5);
    ids.file(300, 6); // past the first 64 slots
    expect(ids.idOf(far)).toBe(5);
    expect(ids.idOf(6 * 2 ** 32 + 0xffff_fff0)).toBeUndefined();
    expect(ids.take(far)).toBe(5);
    expect(ids.take(far)).toBeUndefined();
    expect(ids.take(300)).toBe(6);
    expect(ids.idOf(300)).toBeUndefined();
  });

  it('a cookie past 2^53 (a peer\'s high generation) files under its low 32 bits, as % 2^32 gives them', () => {
    const ids = new FiledIds();
    const big = 0xffff_ffff * 2 ** 32 + 0xffff_f000; // a double: its low bits as rounded
    ids.file(big, 9);
    expect(ids.idOf(big)).toBe(9);
    expect(ids.idOf(0xffff_fffe * 2 ** 32 + 0xffff_f000)).toBeUndefined();
    const near = 2 ** 40 + 17;
    ids.file(near, 4);
    expect(ids.idOf(17)).toBeUndefined();
    expect(ids.take(near)).toBe(4);
    for (const c of [big, near, 2 ** 53 + 2 ** 33 + 6, 3 * 2 ** 32 + 0x8000_0001]) expect(c >>> 0).toBe(c % 2 ** 32);
  });
});
