// Header checksums (docs/nbd-extensions.md, "Header checksums"): with CRC-32C in force every
// transmission header, and every buffered chunk payload, is followed by its CRC-32C. Any single
// bit flipped in a header or its checksum is a hard disconnect at the receiver, never an event:
// a WRITE turned into a CACHE is not executed, a reply with a flipped error is not believed.
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { sealChunk, sealHeader } from '../../../drivers/nbd/protocol/header-checksum.ts';
import { TransmissionSession } from '../../../drivers/nbd/protocol/transmission.ts';
import { newRequest, type NbdRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { NbdServer } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { Engine } from '../../../hw-sim/engine/index.ts';

/** CRC-32C bit by bit (reflected 0x82f63b78), independent of the table-driven code under test. */
function refCrc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Our client and server back to back with checksums asked; `tamper` may rewrite any message either way. */
function pair(tamper: { toServer?: (b: Uint8Array) => void; toClient?: (b: Uint8Array) => void } = {}) {
  const engine = new Engine({ seed: 1 });
  const store = new MemoryStore(1 << 20);
  const srv = new NbdServer({ exports: [{ name: 'd', store }], extensions: { checksum: [1] } }, { name: 's', rngOf: (n) => engine.rng.get(n) });
  const done: NbdRequest[] = [];
  const sent: Uint8Array[] = [];
  const received: Uint8Array[] = [];
  let closed = false;
  let session: TransmissionSession | null = null;
  let h: P.NbdHandshake | null = null;
  const early: Uint8Array[] = [];
  const toClient = (b: Uint8Array) => {
    const c = b.slice();
    if (session) { tamper.toClient?.(c); received.push(c); session.feed(c); } else if (h) h.feed(c); else early.push(c);
  };
  const server = srv.accept({ send: toClient, close: () => { closed = true; }, schedule: (ns, fn) => void engine.schedule(ns, fn) }, { address: '10.0.0.2' });
  const toServer = (b: Uint8Array) => {
    const c = b.slice();
    if (session) { tamper.toServer?.(c); sent.push(c); }
    server.receive(c);
  };
  h = new P.NbdHandshake({ exportName: 'd', extensions: { checksum: [1] }, metaContexts: [] }, {
    send: toServer,
    done: () => { session = new TransmissionSession(h!.result!, { send: toServer, complete: (r) => void done.push(r) }, { generation: 7, leftover: h!.takeLeftover() }); },
  });
  h.start();
  for (const b of early) h.feed(b);
  return { session: () => session!, done, sent, received, store, closed: () => closed };
}

const block = (v: number) => new Uint8Array(4096).fill(v);

describe('header checksums on the wire', () => {
  test('the reference CRC agrees with the check value, and sealHeader writes it after the header', () => {
    expect(refCrc(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const b = new Uint8Array(32);
    const n = P.encodeRequest(b, 0, P.NBD_CMD_FLAG_FUA, P.NBD_CMD_WRITE, 7, 3, 8192, 4096);
    expect(sealHeader(b, 0, n)).toBe(32);
    expect(u32(b, 28)).toBe(refCrc(b.subarray(0, 28)));
    // docs/nbd-extensions.md's example, computed apart (Python, bit by bit).
    expect(u32(b, 28)).toBe(0xbf3b8e7f);
  });

  test('every request header and reply header between our client and server is followed by its CRC-32C', () => {
    const p = pair();
    p.session().submit(newRequest(P.NBD_CMD_WRITE, 4096, 4096, block(1)));
    p.session().submit(newRequest(P.NBD_CMD_READ, 4096, 4096, new Uint8Array(4096)));
    expect(p.done.map((r) => r.error)).toEqual([0, 0]);
    // Client → server: WRITE header (28 + 4), frame header, body; READ header (28 + 4).
    const headers = p.sent.filter((b) => b.length === 32);
    expect(headers.length).toBe(2);
    for (const b of headers) expect(u32(b, 28)).toBe(refCrc(b.subarray(0, 28)));
    // Server → client: the write's NONE chunk (20 + 4); the read's OFFSET_DATA header (20 + 4, then its offset).
    const none = p.received.find((b) => b.length === 24)!;
    expect(u32(none, 20)).toBe(refCrc(none.subarray(0, 20)));
    const data = p.received.find((b) => b.length === 32 && u32(b, 0) === P.NBD_STRUCTURED_REPLY_MAGIC)!;
    expect(u32(data, 20)).toBe(refCrc(data.subarray(0, 20)));
  });
});

describe('negotiation sealed from the checksum grant on', () => {
  test('the checksum option and its replies go plain; NBD_OPT_GO after it carries header and data checksums, and so do its replies', () => {
    const opts: Uint8Array[] = [];
    const replies: Uint8Array[] = [];
    const engine = new Engine({ seed: 1 });
    const srv = new NbdServer({ exports: [{ name: 'd', store: new MemoryStore(1 << 20) }], extensions: { checksum: [1] } }, { name: 's', rngOf: (n) => engine.rng.get(n) });
    let h: P.NbdHandshake | null = null;
    const early: Uint8Array[] = [];
    const server = srv.accept({ send: (b) => { const c = b.slice(); replies.push(c); if (h) h.feed(c); else early.push(c); }, close: () => {}, schedule: () => {} }, { address: 'x' });
    h = new P.NbdHandshake({ exportName: 'd', extensions: { checksum: [1] }, metaContexts: [] }, { send: (b) => { opts.push(b.slice()); server.receive(b.slice()); } });
    h.start();
    for (const b of early) h.feed(b);
    expect(h.status).toBe('ready');
    const option = (b: Uint8Array) => (b.length >= 16 && u32(b, 0) === P.IHAVEOPT_HI ? u32(b, 8) : -1);
    const ck = opts.find((b) => option(b) === P.NBD_OPT_ORION_CHECKSUM)!;
    expect(ck.length).toBe(16 + u32(ck, 12)); // plain: header and data only
    const go = opts.find((b) => option(b) === P.NBD_OPT_GO)!;
    const len = u32(go, 12);
    expect(go.length).toBe(16 + 4 + len + 4);
    expect(u32(go, 16)).toBe(refCrc(go.subarray(0, 16)));
    expect(u32(go, 20 + len)).toBe(refCrc(go.subarray(20, 20 + len)));
    // Replies: CHOSEN and ACK of the grant plain; every reply to GO sealed (the INFO replies and the ACK).
    const rep = replies.filter((b) => b.length >= 20 && u32(b, 0) === P.NBD_REP_MAGIC_HI);
    const toGo = rep.filter((b) => u32(b, 8) === P.NBD_OPT_GO);
    expect(toGo.length).toBeGreaterThanOrEqual(2);
    for (const b of toGo) {
      const n = u32(b, 16);
      expect(b.length).toBe(20 + 4 + n + (n > 0 ? 4 : 0));
      expect(u32(b, 20)).toBe(refCrc(b.subarray(0, 20)));
    }
    for (const b of rep.filter((x) => u32(x, 8) === P.NBD_OPT_ORION_CHECKSUM)) expect(b.length).toBe(20 + u32(b, 16));
  });
});

describe('a damaged header is never believed', () => {
  test('each bit of a sealed WRITE request header (and its checksum) flipped: the server decoder fails, never yields the request', () => {
    const b = new Uint8Array(32);
    sealHeader(b, 0, P.encodeRequest(b, 0, 0, P.NBD_CMD_WRITE, 7, 3, 8192, 4096));
    for (let bit = 0; bit < 32 * 8; bit++) {
      const d = new P.RequestDecoder();
      d.enterTransmission();
      d.headerChecksum = true;
      const c = b.slice();
      c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
      d.feed(c);
      expect(d.next(), `bit ${bit}`).toBe(P.REQUEST_EVENT.ERROR);
      expect(d.protocolError!.verdict).toBe('hard-disconnect');
      // Outside the magic, the checksum is what catches it.
      if (bit >= 32) expect(d.protocolError!.code, `bit ${bit}`).toBe('header-checksum');
    }
  });

  test('each bit of a sealed NONE chunk and of a simple reply flipped: the client decoder fails', () => {
    const none = new Uint8Array(24);
    sealHeader(none, 0, P.encodeChunkNone(none, 0, 7, 3));
    const simple = new Uint8Array(20);
    sealHeader(simple, 0, P.encodeSimpleReply(simple, 0, 0, 7, 3));
    for (const [msg, structured] of [[none, true], [simple, false]] as const) {
      for (let bit = 32; bit < msg.length * 8; bit++) {
        const d = new P.ReplyDecoder(structured);
        d.headerChecksum = true;
        const c = msg.slice();
        c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
        d.feed(c);
        expect(d.next(), `bit ${bit}`).toBe(P.REPLY_EVENT.ERROR);
        expect(d.protocolError!.code).toBe('header-checksum');
      }
    }
  });

  test('a buffered chunk payload (OFFSET_HOLE) carries its own CRC-32C; a damaged one fails, an intact one decodes', () => {
    const raw = new Uint8Array(32);
    P.encodeChunkOffsetHole(raw, 0, P.NBD_REPLY_FLAG_DONE, 7, 3, 8192, 4096);
    const hole = sealChunk(raw, 20);
    expect(hole.length).toBe(20 + 4 + 12 + 4);
    expect(u32(hole, 36)).toBe(refCrc(hole.subarray(24, 36)));
    const ok = new P.ReplyDecoder(true);
    ok.headerChecksum = true;
    ok.feed(hole);
    expect(ok.next()).toBe(P.REPLY_EVENT.CHUNK_OFFSET_HOLE);
    expect([ok.offset, ok.length]).toEqual([8192, 4096]);
    const bad = new P.ReplyDecoder(true);
    bad.headerChecksum = true;
    const c = hole.slice();
    c[30] = c[30]! ^ 0x10; // the hole's size
    bad.feed(c);
    expect(bad.next()).toBe(P.REPLY_EVENT.ERROR);
    expect(bad.protocolError!.code).toBe('header-checksum');
  });

  test('a WRITE turned into NBD_CMD_CACHE on its way is not executed: the server drops the connection', () => {
    let armed = true;
    const p = pair({ toServer: (b) => { if (armed && b.length === 32 && b[7] === P.NBD_CMD_WRITE) { b[7] = P.NBD_CMD_CACHE; armed = false; } } });
    p.session().submit(newRequest(P.NBD_CMD_WRITE, 0, 4096, block(9)));
    expect(p.closed()).toBe(true);
    expect(p.done).toEqual([]);
    const back = new Uint8Array(4096);
    p.store.read(0, back.length, (err, data) => { expect(err).toBeNull(); back.set(data!); });
    expect(back.every((v) => v === 0)).toBe(true);
  });

  test('a NONE reply whose DONE flag was cleared kills the session, is counted, and leaves the request to be resent', () => {
    let armed = true;
    const p = pair({ toClient: (b) => { if (armed && b.length === 24) { b[5] = b[5]! ^ 0x01; armed = false; } } });
    const w = newRequest(P.NBD_CMD_WRITE, 0, 4096, block(2));
    p.session().submit(w);
    expect(p.done).toEqual([]);
    expect(p.session().state).toBe('dead');
    expect(p.session().protocolError!.code).toBe('header-checksum');
    expect(p.session().frames!.counters.headerChecksumFailures).toBe(1);
    expect(p.session().abort()).toEqual([w]);
  });
});
