// The Orion private options (docs/nbd-extensions.md) and NBD_OPT_EXTENDED_HEADERS during option
// haggling: bytes hand-written from the document, scripted standard servers that refuse them,
// and our client against our server (sans-I/O, wired back to back).
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { NbdServer, type ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { Conn } from '../server/harness.ts';
import { concat, hex, toHex } from './helpers.ts';

const IHAVEOPT = '49484156454f5054';
const REP = '0003e889045565a9';
const greeting = hex(`4e42444d41474943 ${IHAVEOPT} 0003`);
const rep = (opt: number, type: number, data = '') =>
  hex(`${REP} ${opt.toString(16).padStart(8, '0')} ${type.toString(16).padStart(8, '0')} ${(data.replace(/\s/g, '').length / 2).toString(16).padStart(8, '0')} ${data}`);
const UNSUP = 0x80000001;

function scripted(config: P.HandshakeConfig) {
  const sent: string[] = [];
  const h = new P.NbdHandshake(config, { send: (b) => sent.push(toHex(b)) }).start();
  return { h, sent };
}

/** Our client and our server, each end's bytes handed straight to the other. */
function backToBack(client: P.HandshakeConfig, server: Partial<ServerConfig>) {
  const engine = new Engine({ seed: 1 });
  const srv = new NbdServer({ exports: [{ name: 'disk', store: new MemoryStore(1 << 20) }], ...server }, { name: 's', rngOf: (n) => engine.rng.get(n) });
  let h: P.NbdHandshake | null = null;
  const toClient: Uint8Array[] = [];
  const session = srv.accept({
    send: (b) => (h ? h.feed(b.slice()) : toClient.push(b.slice())),
    close: () => h?.eof(),
    schedule: (ns, fn) => void engine.schedule(ns, fn),
  }, { address: '10.0.0.2' });
  h = new P.NbdHandshake({ exportName: 'disk', ...client }, { send: (b) => session.receive(b.slice()) });
  h.start();
  for (const b of toClient) h.feed(b);
  return { h, session };
}

describe('private options on the wire', () => {
  test('compression [LZ4, DEFLATE] and checksum [CRC32C] are sent after STRUCTURED_REPLY and META, before GO', () => {
    const { h, sent } = scripted({ extensions: { compression: [1, 2], checksum: [1] }, metaContexts: [] });
    h.feed(greeting);
    h.feed(rep(8, 1));
    // IHAVEOPT, option 0x4f524e01, length 6, count 2, LZ4 (1), DEFLATE (2).
    expect(sent[2]).toBe(`${IHAVEOPT}4f524e0100000006000200010002`);
    h.feed(rep(0x4f524e01, 0x4f524e01, '0002'));
    h.feed(rep(0x4f524e01, 1));
    // Checksum: count 1, CRC32C (1).
    expect(sent[3]).toBe(`${IHAVEOPT}4f524e020000000400010001`);
    h.feed(rep(0x4f524e02, UNSUP, ''));
    expect(sent[4]!.slice(16, 24)).toBe('00000007'); // then GO
    h.feed(concat([rep(7, 3, '0000 0000000000100000 0001'), rep(7, 1)]));
    expect(h.status).toBe('ready');
    expect(h.result).toMatchObject({ compression: 2, checksum: 0, structuredReplies: true, extendedHeaders: false });
    expect(h.result!.extensions).toEqual([
      { option: 0x4f524e01, granted: true, algorithm: 2, replyType: 0 },
      { option: 0x4f524e02, granted: false, algorithm: 0, replyType: UNSUP },
    ]);
  });

  test('a standard server refusing EXTENDED_HEADERS: the client asks for STRUCTURED_REPLY next', () => {
    const { h, sent } = scripted({ extendedHeaders: true, metaContexts: [] });
    h.feed(greeting);
    expect(sent[1]).toBe(`${IHAVEOPT}0000000b00000000`);
    h.feed(rep(11, UNSUP));
    expect(sent[2]).toBe(`${IHAVEOPT}0000000800000000`);
  });

  test.each([
    ['an algorithm the client did not offer', [rep(0x4f524e01, 0x4f524e01, '0007')]],
    ['ACK without CHOSEN', [rep(0x4f524e01, 1)]],
    ['CHOSEN twice', [rep(0x4f524e01, 0x4f524e01, '0001'), rep(0x4f524e01, 0x4f524e01, '0001')]],
    ['CHOSEN of the wrong length', [rep(0x4f524e01, 0x4f524e01, '000100')]],
  ])('%s is a hard disconnect', (_what, replies) => {
    const { h } = scripted({ extensions: { compression: [1] }, structuredReplies: false });
    h.feed(greeting);
    for (const r of replies) h.feed(r);
    expect(h.status).toBe('dead');
    expect(h.failure?.kind).toBe('protocol');
  });
});

describe('our client against our server', () => {
  test('the server picks the first of the client\'s algorithms it implements', () => {
    const { h, session } = backToBack({ extensions: { compression: [1, 2], checksum: [1] } }, { extensions: { compression: [2], checksum: [1] } });
    expect(h.status).toBe('ready');
    expect([h.result!.compression, h.result!.checksum]).toEqual([2, 1]);
    expect([session.compression, session.checksum]).toEqual([2, 1]);
  });

  test('a server without the extensions refuses each with ERR_UNSUP and the export opens without them', () => {
    const { h, session } = backToBack({ extensions: { compression: [1], checksum: [1], udpTransport: true } }, {});
    expect(h.status).toBe('ready');
    expect(h.result!.extensions.map((o) => [o.option, o.granted, o.replyType])).toEqual([
      [0x4f524e01, false, UNSUP], [0x4f524e02, false, UNSUP], [0x4f524e03, false, UNSUP],
    ]);
    expect([session.compression, session.checksum]).toEqual([0, 0]);
  });

  test('malformed algorithm lists are refused with ERR_INVALID', () => {
    const c = new Conn({ exports: [{ name: 'd', store: new MemoryStore(4096) }], extensions: { compression: [1] } }).handshakeStart();
    for (const data of ['0000', '0001', '00020001', '0011' + '0001'.repeat(17)]) {
      const r = c.option(0x4f524e01, hex(data)).optReply();
      expect([r.option, r.type]).toEqual([0x4f524e01, 0x80000003]);
    }
    expect(c.session.compression).toBe(0);
  });
});

describe('extended replies in the client decoder', () => {
  const decode = (bytes: string) => {
    const d = new P.ReplyDecoder(true, true);
    d.feed(hex(bytes));
    const ev = d.next();
    return { ev, d };
  };

  test('a BLOCK_STATUS_EXT chunk: 64-bit extent length and the low half of the 64-bit status', () => {
    // magic, DONE, type 6, cookie 0:1, offset 0, length 24; context 1, count 1, length 2^33, status 3.
    const { ev, d } = decode('6e8a278c 0001 0006 00000000 00000001 0000000000000000 0000000000000018 00000001 00000001 0000000200000000 0000000000000003');
    expect(ev).toBe(P.REPLY_EVENT.CHUNK_BLOCK_STATUS);
    expect([d.contextId, d.extentCount, d.extentLength(0), d.extentFlags(0)]).toEqual([1, 1, 2 ** 33, 3]);
  });

  test.each([
    ['a simple reply', '67446698 00000000 00000000 00000001'],
    ['a structured chunk', '668e33ef 0001 0000 00000000 00000001 00000000'],
    ['a reply length of 2^32', '6e8a278c 0001 0000 00000000 00000001 0000000000000000 0000000100000000'],
    ['a 32-bit BLOCK_STATUS chunk', '6e8a278c 0001 0005 00000000 00000001 0000000000000000 000000000000000c 00000001 00001000 00000000'],
    ['a descriptor count that does not match', '6e8a278c 0001 0006 00000000 00000001 0000000000000000 0000000000000018 00000001 00000002 0000000000001000 0000000000000000'],
  ])('%s after extended headers is a protocol error', (_what, bytes) => {
    expect(decode(bytes).ev).toBe(P.REPLY_EVENT.ERROR);
  });
});
