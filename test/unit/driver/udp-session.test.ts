// The client's UDP transmission session (drivers/nbd/transport/udp-session.ts) against a hand-driven
// server: every datagram it sends is decoded here and every reply is written here, so the ordering
// rules of docs/nbd-extensions.md ("UDP transport") are checked one datagram at a time.
import { describe, expect, it } from 'vitest';
import { decodeUdpDatagram, emptyDatagram, encodeUdpDatagram, type UdpDatagram } from '../../../drivers/nbd/protocol/udp-datagram.ts';
import { newRequest, type NbdRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { NBD_CMD_FLUSH, NBD_CMD_READ, NBD_CMD_WRITE } from '../../../drivers/nbd/protocol/uapi.ts';
import { UdpSession } from '../../../drivers/nbd/transport/udp-session.ts';
import { UdpCounters } from '../../../drivers/nbd/transport/udp-stats.ts';

const GRANT = { port: 10809, datagram: 568, tokenHi: 1, tokenLo: 2 }; // 512 data bytes per datagram

function harness(maxAttempts = 4, window = { initial: 64, min: 4, max: 1000 }) {
  const timers: { at: number; fn: () => void; dead: boolean }[] = [];
  const clock = {
    now: 0,
    schedule(ns: number, fn: () => void) { const t = { at: clock.now + ns, fn, dead: false }; timers.push(t); return t; },
    cancel(h: unknown) { (h as { dead: boolean }).dead = true; },
  };
  const sent: UdpDatagram[] = [];
  const done: NbdRequest[] = [];
  const states: string[] = [];
  const room = { calls: 0 };
  const sock = {
    onMessage: null as ((d: Uint8Array) => void) | null,
    onWritable: null as (() => void) | null,
    writable: 1 << 30,
    send(b: Uint8Array, len: number) { const d = emptyDatagram(); expect(decodeUdpDatagram(b.slice(0, len), false, d)).toBeNull(); sent.push({ ...d, data: d.data.slice() }); return true; },
    close() {},
  };
  const counters = new UdpCounters();
  const s = new UdpSession(sock, { send: () => {}, complete: (r) => done.push(r), stateChanged: (st) => states.push(st) }, clock, {
    grant: GRANT, window, maxAttempts, counters,
    rto: { initialNs: 1_000_000, minNs: 1_000_000, maxNs: 100_000_000 },
    onRoom: () => { room.calls++; },
  });
  const reply = (q: UdpDatagram, extra: Partial<UdpDatagram> = {}, data?: Uint8Array) => sock.onMessage!(encodeUdpDatagram({
    ...q, reply: true, flags: 0, ackedBelow: 0, error: 0, fragOffset: 0, fragCount: 1, ...extra,
  }, data));
  const advance = (ns: number) => {
    clock.now += ns;
    for (const t of [...timers].sort((a, b) => a.at - b.at)) if (!t.dead && t.at <= clock.now) { t.dead = true; t.fn(); }
  };
  return { s, sent, done, states, reply, advance, counters, sock, room };
}

const write = (off: number, len: number) => newRequest(NBD_CMD_WRITE, off, len, new Uint8Array(len).fill(off / 512 + 1));

describe('UdpSession', () => {
  it('splits a WRITE into datagrams of the granted size; cookies increase; acked-below is the oldest in flight', () => {
    const h = harness();
    h.s.submit(write(0, 1200));
    h.s.submit(write(4096, 100));
    // 1200 bytes at 512 per datagram: 512 + 512 + 176.
    expect(h.sent.map((d) => [d.cookie, d.fragOffset, d.fragCount, d.data.length, d.ackedBelow])).toEqual([
      [1, 0, 3, 512, 1], [1, 512, 3, 512, 1], [1, 1024, 3, 176, 1], [2, 0, 1, 100, 1],
    ]);
    h.reply(h.sent[0]!);
    h.s.submit(write(8192, 10));
    expect(h.sent.at(-1)!.ackedBelow).toBe(2); // cookie 1 is complete
  });

  it('refuses a write that overlaps one in flight until its reply, takes others; submitting a refused one throws', () => {
    const h = harness();
    h.s.submit(write(0, 4096));
    const over = write(2048, 512); // overlaps [0, 4096)
    expect(h.s.canTake(over)).toBe(false);
    expect(() => h.s.submit(over)).toThrow(/cannot be sent now/);
    expect(h.s.canTake(write(8192, 512))).toBe(true);
    expect(new Set(h.sent.map((d) => d.cookie))).toEqual(new Set([1]));
    h.reply(h.sent[0]!);
    expect(h.s.canTake(over)).toBe(true);
    h.s.submit(over);
    expect(h.sent.at(-1)!.offset).toBe(2048);
  });

  it('takes a FLUSH only when every earlier write is answered', () => {
    const h = harness();
    const flush = newRequest(NBD_CMD_FLUSH);
    h.s.submit(write(0, 512));
    expect(h.s.canTake(flush)).toBe(false);
    expect(h.sent.map((d) => d.type)).toEqual([NBD_CMD_WRITE]);
    h.reply(h.sent[0]!);
    expect(h.s.canTake(flush)).toBe(true);
    h.s.submit(flush);
    expect(h.sent.map((d) => d.type)).toEqual([NBD_CMD_WRITE, NBD_CMD_FLUSH]);
    h.reply(h.sent[1]!);
    expect(h.done.map((r) => r.type)).toEqual([NBD_CMD_WRITE, NBD_CMD_FLUSH]);
  });

  it('reassembles a READ reply by offset in any order; a repeated fragment is a duplicate', () => {
    const h = harness();
    const r = newRequest(NBD_CMD_READ, 0, 1100, new Uint8Array(1100));
    h.s.submit(r);
    const q = h.sent[0]!;
    const part = (i: number, n: number) => new Uint8Array(n).fill(i + 10);
    h.reply(q, { fragOffset: 1024, fragCount: 3 }, part(2, 76));
    h.reply(q, { fragOffset: 0, fragCount: 3 }, part(0, 512));
    h.reply(q, { fragOffset: 0, fragCount: 3 }, part(0, 512));
    expect(h.counters.duplicates).toBe(1);
    expect(h.done).toEqual([]);
    h.reply(q, { fragOffset: 512, fragCount: 3 }, part(1, 512));
    expect(h.done).toEqual([r]);
    expect([r.data![0], r.data![600], r.data![1099]]).toEqual([10, 11, 12]);
    h.reply(q, { fragOffset: 0, fragCount: 3 }, part(0, 512)); // a late fragment of a complete request
    expect(h.counters.duplicates).toBe(2);
  });

  it('retransmits on its timeout with the next generation; fragments of both attempts combine', () => {
    const h = harness();
    const r = newRequest(NBD_CMD_READ, 0, 1024, new Uint8Array(1024));
    h.s.submit(r);
    h.advance(1_000_000);
    expect(h.sent.map((d) => d.generation)).toEqual([0, 1]);
    expect(h.counters.retransmissions).toBe(1);
    h.reply(h.sent[1]!, { fragOffset: 0, fragCount: 2 }, new Uint8Array(512).fill(1));
    h.reply(h.sent[0]!, { fragOffset: 512, fragCount: 2 }, new Uint8Array(512).fill(2)); // no write raced it: same bytes
    expect(h.done).toEqual([r]);
    expect([r.data![0], r.data![1023]]).toEqual([1, 2]);
  });

  it('a READ raced by an overlapping write never mixes attempts: older fragments are stale', () => {
    const h = harness();
    const r = newRequest(NBD_CMD_READ, 0, 1024, new Uint8Array(1024));
    h.s.submit(r);
    h.s.submit(write(512, 512)); // in flight beside the read: two executions may differ
    h.advance(1_000_000);
    const q0 = h.sent[0]!;
    const q1 = h.sent.find((d) => d.type === NBD_CMD_READ && d.generation === 1)!;
    h.reply(q1, { fragOffset: 0, fragCount: 2 }, new Uint8Array(512).fill(1));
    h.reply(q0, { fragOffset: 512, fragCount: 2 }, new Uint8Array(512).fill(9));
    expect(h.counters.stale).toBe(1);
    h.reply(q1, { fragOffset: 512, fragCount: 2 }, new Uint8Array(512).fill(2));
    expect(h.done).toEqual([r]);
    expect([r.data![0], r.data![1023]]).toEqual([1, 2]);
  });

  it('a raced READ whose write is acknowledged merges the attempts sent after the ack again', () => {
    const h = harness();
    const r = newRequest(NBD_CMD_READ, 0, 1024, new Uint8Array(1024));
    h.s.submit(r);
    h.s.submit(write(512, 512));
    h.reply(h.sent.find((d) => d.type === NBD_CMD_WRITE)!); // acknowledged: every later execution sees it
    h.advance(1_000_000); // attempt 1, the first sent after the ack
    h.advance(2_000_000); // attempt 2
    const gen = (g: number) => h.sent.find((d) => d.type === NBD_CMD_READ && d.generation === g)!;
    h.reply(gen(1), { fragOffset: 0, fragCount: 2 }, new Uint8Array(512).fill(1));
    h.reply(gen(0), { fragOffset: 512, fragCount: 2 }, new Uint8Array(512).fill(9)); // before the write: stale
    expect(h.counters.stale).toBe(1);
    h.reply(gen(2), { fragOffset: 512, fragCount: 2 }, new Uint8Array(512).fill(2)); // after it: same bytes as attempt 1
    expect(h.done.map((q) => q.type)).toEqual([NBD_CMD_WRITE, NBD_CMD_READ]);
    expect(h.done[1]).toBe(r);
    expect([r.data![0], r.data![1023]]).toEqual([1, 2]);
  });

  it('declares the session dead after its attempts, doubling the timeout each time', () => {
    const h = harness(3);
    h.s.submit(write(0, 512));
    h.advance(1_000_000); // attempt 1 after 1 ms
    h.advance(2_000_000); // attempt 2 after 2 ms more
    expect(h.sent.map((d) => d.generation)).toEqual([0, 1, 2]);
    h.advance(3_999_999);
    expect(h.states).toEqual([]);
    h.advance(1);
    expect(h.states).toEqual(['dead']);
    expect(h.s.submit(write(0, 512))?.errno).toBe('ESHUTDOWN');
  });

  it('refuses a request the socket send buffer cannot take whole; onWritable tells the driver', () => {
    const h = harness();
    // A 1200-byte WRITE is 3 datagrams: 1200 data + 3 × (56 + 28) header bytes = 1452.
    h.sock.writable = 1451;
    const w = write(0, 1200);
    expect(h.s.canTake(w)).toBe(false);
    expect(h.sent).toEqual([]);
    h.sock.writable = 1452;
    h.sock.onWritable!();
    expect(h.room.calls).toBe(1);
    expect(h.s.canTake(w)).toBe(true);
    h.s.submit(w);
    expect(h.sent.length).toBe(3);
  });

  it('with a window of 8 datagrams takes 4 one-datagram writes, refuses the 5th until a reply; abort returns only those in flight', () => {
    // Each 512-byte WRITE costs 2 datagrams of the window: its request and its reply.
    const h = harness(4, { initial: 8, min: 4, max: 8 });
    const ws = [0, 1, 2, 3].map((i) => write(i * 4096, 512));
    for (const w of ws) { expect(h.s.canTake(w)).toBe(true); h.s.submit(w); }
    const fifth = write(4 * 4096, 512);
    expect(h.s.canTake(fifth)).toBe(false);
    expect(h.s.hasRoom).toBe(false); // not even a one-datagram request: the driver answers BUSY
    expect(h.sent.length).toBe(4);
    h.reply(h.sent[0]!); // 6 of 8 in flight again
    expect(h.s.canTake(fifth)).toBe(true);
    h.s.submit(fifth);
    expect(h.sent.at(-1)!.offset).toBe(4 * 4096);
    expect(h.s.inFlight).toBe(4);
    expect(h.s.abort()).toEqual([ws[1], ws[2], ws[3], fifth]);
  });

  it('drops datagrams with another token or broken bytes, counting them', () => {
    const h = harness();
    h.s.submit(write(0, 512));
    h.reply(h.sent[0]!, { tokenLo: 3 });
    h.reply(h.sent[0]!, { fragCount: 0 });
    expect(h.counters.malformed).toBe(2);
    expect(h.done).toEqual([]);
  });
});
