// The UDP transport's datagram format (docs/nbd-extensions.md, "UDP transport"): bytes written by
// hand from the document, and hostile datagrams that must become clear errors, never throws.
import { describe, expect, test } from 'vitest';
import seedrandom from 'seedrandom';
import {
  decodeUdpDatagram, emptyDatagram, encodeUdpDatagram, encodeUdpGrant, fragmentCount, parseUdpGrant, parseUdpOptionData,
  UdpDatagramError,
} from '../../../drivers/nbd/protocol/udp-datagram.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_WRITE } from '../../../drivers/nbd/protocol/uapi.ts';
import { hex, toHex } from './helpers.ts';

const HDR = {
  reply: false, flags: 1, type: NBD_CMD_WRITE, tokenHi: 0x01020304, tokenLo: 0x05060708, cookie: 0x1_0000_0007,
  offset: 0x2000, length: 4096, error: 0, fragOffset: 1024, fragCount: 4, generation: 2, ackedBelow: 5,
};

describe('UDP datagram header', () => {
  test('a WRITE fragment is laid out as the document says', () => {
    const b = encodeUdpDatagram(HDR, new Uint8Array([0xaa, 0xbb]));
    expect(toHex(b)).toBe(toHex(hex(`
      4f524e51 0001 0001 0102030405060708 0000000100000007 0000000000002000
      00001000 00000000 00000400 0004 0002 0000000000000005 aabb`)));
    const d = emptyDatagram();
    expect(decodeUdpDatagram(b, false, d)).toBeNull();
    expect({ ...d, data: [...d.data] }).toEqual({ ...HDR, data: [0xaa, 0xbb] });
  });

  test('a READ reply fragment round-trips; an empty FLUSH reply is one datagram', () => {
    const r = { ...HDR, reply: true, flags: 0, type: NBD_CMD_READ, ackedBelow: 0, fragOffset: 4000 };
    const d = emptyDatagram();
    expect(decodeUdpDatagram(encodeUdpDatagram(r, new Uint8Array(96)), true, d)).toBeNull();
    expect(d.fragOffset).toBe(4000);
    expect(d.data.length).toBe(96);
    const f = { ...r, type: NBD_CMD_FLUSH, length: 0, fragOffset: 0, fragCount: 1 };
    expect(decodeUdpDatagram(encodeUdpDatagram(f), true, d)).toBeNull();
  });

  test('fragment counts', () => {
    expect(fragmentCount(0, 1416)).toBe(1);
    expect(fragmentCount(4096, 1416)).toBe(3); // 1416 + 1416 + 1264
    expect(fragmentCount(2832, 1416)).toBe(2);
  });

  const bad: [string, () => Uint8Array, boolean, string][] = [
    ['short', () => new Uint8Array(55), false, 'short'],
    ['a reply sent to the server', () => encodeUdpDatagram({ ...HDR, reply: true, flags: 0, ackedBelow: 0 }), false, 'bad-magic'],
    ['cookie beyond 2^53', () => { const b = encodeUdpDatagram(HDR, new Uint8Array(1)); b[16] = 0x00; b[17] = 0x20; return b; }, false, 'out-of-range'],
    ['an error in a request', () => encodeUdpDatagram({ ...HDR, error: 5 }, new Uint8Array(1)), false, 'bad-value'],
    ['flags in a reply', () => encodeUdpDatagram({ ...HDR, reply: true, ackedBelow: 0, type: NBD_CMD_FLUSH, length: 0, fragOffset: 0, fragCount: 1 }), true, 'bad-value'],
    ['zero fragments', () => encodeUdpDatagram({ ...HDR, fragCount: 0 }, new Uint8Array(1)), false, 'bad-fragment'],
    ['a fragment past the payload', () => encodeUdpDatagram({ ...HDR, fragOffset: 4095 }, new Uint8Array(2)), false, 'bad-fragment'],
    ['an empty fragment of a WRITE', () => encodeUdpDatagram(HDR), false, 'bad-fragment'],
    ['data on a FLUSH', () => encodeUdpDatagram({ ...HDR, type: NBD_CMD_FLUSH, length: 0, fragOffset: 0, fragCount: 1 }, new Uint8Array(3)), false, 'bad-fragment'],
  ];
  test.each(bad)('%s is dropped with a named error', (_what, bytes, reply, code) => {
    const e = decodeUdpDatagram(bytes(), reply, emptyDatagram());
    expect(e).toBeInstanceOf(UdpDatagramError);
    expect(e!.code).toBe(code);
    expect(e!.message).toMatch(/^udp datagram [a-z-]+: .+ \[[a-z-]+\]$/);
  });

  test('random and mutated bytes never throw', () => {
    const rng = seedrandom('udp-fuzz');
    const good = encodeUdpDatagram(HDR, new Uint8Array(100));
    const d = emptyDatagram();
    for (let i = 0; i < 5000; i++) {
      const b = i % 2 ? new Uint8Array(Math.floor(rng() * 120)).map(() => Math.floor(rng() * 256)) : good.slice(0, Math.floor(rng() * good.length) + 1);
      if (i % 2 === 0) { const k = Math.floor(rng() * b.length); b[k] = b[k]! ^ (1 << Math.floor(rng() * 8)); }
      const e = decodeUdpDatagram(b, (i & 2) !== 0, d);
      expect(e === null || e instanceof UdpDatagramError).toBe(true);
    }
  });
});

describe('UDP option data', () => {
  test('the client offers a datagram size; the grant names port, size and token', () => {
    expect(parseUdpOptionData(hex('05dc'))).toBe(1500);
    expect((parseUdpOptionData(hex('0100')) as UdpDatagramError).where).toBe('option.datagram'); // 256 < 56 + 512
    expect((parseUdpOptionData(hex('05')) as UdpDatagramError).where).toBe('option.length');
    const g = { port: 10809, datagram: 1472, tokenHi: 0xdeadbeef, tokenLo: 7 };
    expect(toHex(encodeUdpGrant(g))).toBe('2a3905c0deadbeef00000007');
    expect(parseUdpGrant(encodeUdpGrant(g), 1472)).toEqual(g);
    expect((parseUdpGrant(encodeUdpGrant(g), 1400) as UdpDatagramError).where).toBe('grant.datagram');
    expect((parseUdpGrant(encodeUdpGrant({ ...g, port: 0 }), 1472) as UdpDatagramError).where).toBe('grant.port');
  });
});
