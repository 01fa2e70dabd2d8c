import { describe, expect, it } from 'vitest';
import { headFrames, splitGso } from '../../../hw-sim/net/gso.ts';
import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, frameCount, wireBytes } from '../../../hw-sim/net/packet.ts';
import { tcp, udp } from './net-helpers.ts';

describe('splitGso', () => {
  it('cuts a chunk into frames: payload views, seq and IP id advanced per frame, PSH/FIN on the last only', () => {
    const payload = new Uint8Array(3_000).map((_, i) => i & 255);
    const p = tcp(payload, 0xffff_fc00, 1_200);
    p.tcp!.flags = TCP_ACK | TCP_PSH | TCP_FIN;
    p.ipId = 0xffff;
    const f = splitGso(p);
    expect(f.map((x) => x.payload.length)).toEqual([1_200, 1_200, 600]);
    // seq wraps modulo 2^32.
    expect(f.map((x) => x.tcp!.seq)).toEqual([0xffff_fc00, 0xffff_fc00 + 1_200 - 2 ** 32, 0xffff_fc00 + 2_400 - 2 ** 32]);
    expect(f.map((x) => x.ipId)).toEqual([0xffff, 0, 1]);
    expect(f.map((x) => x.tcp!.flags)).toEqual([TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH | TCP_FIN]);
    expect(f.every((x) => x.gsoSize === 0 && x.proto === IPPROTO_TCP)).toBe(true);
    expect(f[1]!.payload[0]).toBe(1_200 & 255);
    expect(f[1]!.payload.buffer).toBe(payload.buffer); // a view, not a copy
    // Wire size of the chunk equals the sum over its frames.
    expect(f.reduce((s, x) => s + wireBytes(x), 0)).toBe(wireBytes(p));
  });

  it('returns a one-frame packet as is', () => {
    const p = udp(100);
    expect(splitGso(p)).toEqual([p]);
    expect(frameCount(tcp(new Uint8Array(1_000), 0, 1_000))).toBe(1);
  });

  it('headFrames keeps the first k frames as one chunk without FIN', () => {
    const p = tcp(new Uint8Array(5_000), 10, 1_000);
    p.tcp!.flags = TCP_ACK | TCP_FIN;
    const h = headFrames(p, 3);
    expect(h.payload.length).toBe(3_000);
    expect(frameCount(h)).toBe(3);
    expect(h.tcp!.seq).toBe(10);
    expect(h.tcp!.flags).toBe(TCP_ACK);
    expect(headFrames(p, 1).gsoSize).toBe(0);
  });
});
