import { describe, expect, it } from 'vitest';
import { frameWireBytes, headFrames, splitGso } from '../../../hw-sim/net/gso.ts';
import {
  ETH_MIN_PAYLOAD_BYTES, ETH_WIRE_OVERHEAD_BYTES, IPPROTO_TCP, IPV4_HEADER_BYTES, TCP_ACK, TCP_FIN, TCP_HEADER_BYTES, TCP_PSH, UDP_HEADER_BYTES,
  frameCount, frameHeaderBytes, l4HeaderBytes, wireBytes,
} from '../../../hw-sim/net/packet.ts';
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
    expect(f.map((x) => x.tcp!.seq >>> 0)).toEqual([0xffff_fc00, 0xffff_fc00 + 1_200 - 2 ** 32, 0xffff_fc00 + 2_400 - 2 ** 32]);
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

describe('frame sizes (the per-packet helpers spell the header sizes as numbers)', () => {
  it('agree with the named constants', () => {
    const t = tcp(new Uint8Array(1_000), 0, 0);
    expect(frameHeaderBytes(t)).toBe(IPV4_HEADER_BYTES + TCP_HEADER_BYTES);
    expect(l4HeaderBytes(udp(10))).toBe(UDP_HEADER_BYTES);
    expect(wireBytes(t)).toBe(ETH_WIRE_OVERHEAD_BYTES + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + 1_000);
    // A short frame is padded to the Ethernet minimum, alone or split off a chunk.
    expect(wireBytes(udp(1))).toBe(ETH_WIRE_OVERHEAD_BYTES + ETH_MIN_PAYLOAD_BYTES);
    expect(frameWireBytes(IPV4_HEADER_BYTES + UDP_HEADER_BYTES, 1)).toBe(ETH_WIRE_OVERHEAD_BYTES + ETH_MIN_PAYLOAD_BYTES);
    expect(frameWireBytes(IPV4_HEADER_BYTES + TCP_HEADER_BYTES, 1_000)).toBe(ETH_WIRE_OVERHEAD_BYTES + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + 1_000);
  });
});
