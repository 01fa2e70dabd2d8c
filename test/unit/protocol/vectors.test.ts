// Protocol vectors: every message encoded and decoded, checked byte-for-byte against layouts
// written out by hand from doc/proto.md (field by field, in the order the spec lists them).
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { ascii, hex, toHex } from './helpers.ts';

const NBDMAGIC = '4e42444d41474943';
const IHAVEOPT = '49484156454f5054';
const REPMAGIC = '0003e889045565a9';
const BASE_ALLOC = ascii('base:allocation'); // 15 bytes

function bytesOf(write: (b: Uint8Array, off: number) => number, size: number): Uint8Array {
  const b = new Uint8Array(size + 3);
  const n = write(b, 3); // an offset, to prove the encoders honour it
  expect(n).toBe(size);
  return b.subarray(3, 3 + n);
}

describe('uapi values are the spec values', () => {
  test('magics, flags, options, replies, commands, errors', () => {
    expect(P.NBDMAGIC).toBe(BigInt('0x' + ascii('NBDMAGIC')));
    expect(P.IHAVEOPT).toBe(BigInt('0x' + ascii('IHAVEOPT')));
    expect([P.NBD_REQUEST_MAGIC, P.NBD_SIMPLE_REPLY_MAGIC, P.NBD_STRUCTURED_REPLY_MAGIC]).toEqual([0x25609513, 0x67446698, 0x668e33ef]);
    expect([P.NBD_OPT_EXPORT_NAME, P.NBD_OPT_ABORT, P.NBD_OPT_LIST, P.NBD_OPT_PEEK_EXPORT, P.NBD_OPT_STARTTLS, P.NBD_OPT_INFO,
      P.NBD_OPT_GO, P.NBD_OPT_STRUCTURED_REPLY, P.NBD_OPT_LIST_META_CONTEXT, P.NBD_OPT_SET_META_CONTEXT]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([P.NBD_REP_ERR_UNSUP, P.NBD_REP_ERR_TOO_BIG]).toEqual([2 ** 31 + 1, 2 ** 31 + 9]);
    expect([P.NBD_CMD_READ, P.NBD_CMD_DISC, P.NBD_CMD_BLOCK_STATUS]).toEqual([0, 2, 7]);
    expect([P.NBD_CMD_FLAG_FUA, P.NBD_CMD_FLAG_NO_HOLE, P.NBD_CMD_FLAG_DF, P.NBD_CMD_FLAG_REQ_ONE, P.NBD_CMD_FLAG_FAST_ZERO]).toEqual([1, 2, 4, 8, 16]);
    expect([P.NBD_REPLY_TYPE_ERROR, P.NBD_REPLY_TYPE_ERROR_OFFSET]).toEqual([32769, 32770]);
    expect([P.NBD_EPERM, P.NBD_EIO, P.NBD_ENOMEM, P.NBD_EINVAL, P.NBD_ENOSPC, P.NBD_EOVERFLOW, P.NBD_ENOTSUP, P.NBD_ESHUTDOWN])
      .toEqual([1, 5, 12, 22, 28, 75, 95, 108]);
    expect(P.NBD_FLAG_SEND_FAST_ZERO).toBe(1 << 11);
  });
});

describe('handshake messages, server → client', () => {
  const dec = (e: P.Expect, bytes: Uint8Array) => {
    const d = new P.HandshakeReplyDecoder();
    d.expect(e);
    d.feed(bytes);
    return d.next();
  };
  const repDec = (option: number, bytes: Uint8Array) => {
    const m = dec({ kind: 'option-reply', option }, bytes);
    if (m === null || m instanceof P.ProtocolError || m.kind !== 'option-reply') throw new Error(`not a reply: ${String(m)}`);
    return m.reply;
  };

  test('greeting', () => {
    const want = hex(`${NBDMAGIC} ${IHAVEOPT} 0003`);
    expect(toHex(P.encodeGreeting(P.NBD_FLAG_FIXED_NEWSTYLE | P.NBD_FLAG_NO_ZEROES))).toBe(toHex(want));
    expect(dec({ kind: 'greeting' }, want)).toEqual({ kind: 'greeting', handshakeFlags: 3 });
  });

  test('export-name reply, with and without the 124 zeroes', () => {
    const short = hex('0000000000100000 0003');
    expect(toHex(P.encodeExportNameReply(0x100000n, 3, true))).toBe(toHex(short));
    const long = hex('0000000000100000 0003' + '00'.repeat(124));
    expect(toHex(P.encodeExportNameReply(0x100000n, 3, false))).toBe(toHex(long));
    expect(dec({ kind: 'export-name-reply', noZeroes: false }, long)).toEqual({ kind: 'export-name-reply', size: 0x100000n, transmissionFlags: 3 });
    expect(dec({ kind: 'export-name-reply', noZeroes: true }, short)).toEqual({ kind: 'export-name-reply', size: 0x100000n, transmissionFlags: 3 });
  });

  test('NBD_REP_ACK', () => {
    const want = hex(`${REPMAGIC} 00000007 00000001 00000000`);
    expect(toHex(P.encodeRepAck(P.NBD_OPT_GO))).toBe(toHex(want));
    expect(repDec(7, want)).toEqual({ kind: 'ack', option: 7 });
  });

  test('NBD_REP_SERVER with a description', () => {
    const want = hex(`${REPMAGIC} 00000003 00000002 00000009 00000004 ${ascii('disk')} 78`);
    expect(toHex(P.encodeRepServer(P.NBD_OPT_LIST, 'disk', 'x'))).toBe(toHex(want));
    expect(repDec(3, want)).toEqual({ kind: 'server', option: 3, name: 'disk', description: 'x' });
  });

  test('NBD_REP_INFO: EXPORT, NAME, DESCRIPTION, BLOCK_SIZE, and an unknown type', () => {
    const exp = hex(`${REPMAGIC} 00000007 00000003 0000000c 0000 0000000000100000 000d`);
    expect(toHex(P.encodeRepInfoExport(7, 0x100000n, 0x0d))).toBe(toHex(exp));
    expect(repDec(7, exp)).toEqual({ kind: 'info-export', option: 7, size: 0x100000n, transmissionFlags: 0x0d });
    const name = hex(`${REPMAGIC} 00000007 00000003 00000003 0001 6e`);
    expect(toHex(P.encodeRepInfoName(7, 'n'))).toBe(toHex(name));
    expect(repDec(7, name)).toEqual({ kind: 'info-name', option: 7, name: 'n' });
    const desc = hex(`${REPMAGIC} 00000006 00000003 00000003 0002 64`);
    expect(toHex(P.encodeRepInfoDescription(6, 'd'))).toBe(toHex(desc));
    expect(repDec(6, desc)).toEqual({ kind: 'info-description', option: 6, description: 'd' });
    const bs = hex(`${REPMAGIC} 00000007 00000003 0000000e 0003 00000200 00001000 02000000`);
    expect(toHex(P.encodeRepInfoBlockSize(7, 512, 4096, 1 << 25))).toBe(toHex(bs));
    expect(repDec(7, bs)).toEqual({ kind: 'info-block-size', option: 7, min: 512, pref: 4096, max: 1 << 25 });
    expect(repDec(7, hex(`${REPMAGIC} 00000007 00000003 00000004 0009 abcd`))).toEqual({ kind: 'info-unknown', option: 7, infoType: 9 });
  });

  test('NBD_REP_META_CONTEXT and an error reply with a message', () => {
    const mc = hex(`${REPMAGIC} 0000000a 00000004 00000013 00000001 ${BASE_ALLOC}`);
    expect(toHex(P.encodeRepMetaContext(10, 1, 'base:allocation'))).toBe(toHex(mc));
    expect(repDec(10, mc)).toEqual({ kind: 'meta-context', option: 10, id: 1, name: 'base:allocation' });
    const er = hex(`${REPMAGIC} 00000007 80000002 00000002 6e6f`);
    expect(toHex(P.encodeRepError(7, P.NBD_REP_ERR_POLICY, 'no'))).toBe(toHex(er));
    expect(repDec(7, er)).toEqual({ kind: 'error', option: 7, replyType: P.NBD_REP_ERR_POLICY, message: 'no' });
  });

  test('violations are hard-disconnect ProtocolErrors', () => {
    const cases: [P.Expect, string, P.ProtocolErrorCode][] = [
      [{ kind: 'greeting' }, `${NBDMAGIC} 0000420281861253 0000`, 'oldstyle'],
      [{ kind: 'greeting' }, `${IHAVEOPT} ${IHAVEOPT} 0001`, 'bad-magic'],
      [{ kind: 'option-reply', option: 7 }, `${REPMAGIC} 00000008 00000001 00000000`, 'unexpected-reply'],
      [{ kind: 'option-reply', option: 7 }, `${REPMAGIC} 00000007 00000001 00000001 00`, 'bad-length'],
      [{ kind: 'option-reply', option: 7 }, `${REPMAGIC} 00000007 00000003 0000000b 0000 0000000000001000 0d`, 'bad-length'],
      [{ kind: 'option-reply', option: 7 }, `${REPMAGIC} 00000007 00000003 0000000e 0003 00000300 00001000 02000000`, 'bad-block-size'],
      [{ kind: 'option-reply', option: 7 }, `${REPMAGIC} 00000007 00000063 00000000`, 'unknown-reply-type'],
      [{ kind: 'option-reply', option: 3 }, `${REPMAGIC} 00000003 00000002 00000005 00000002 61`, 'bad-length'],
      [{ kind: 'nothing' }, '00', 'trailing-bytes'],
    ];
    for (const [e, h, code] of cases) {
      const r = dec(e, hex(h));
      expect(r, h).toBeInstanceOf(P.ProtocolError);
      expect((r as P.ProtocolError).code, h).toBe(code);
      expect((r as P.ProtocolError).verdict).toBe('hard-disconnect');
    }
  });
});

describe('handshake messages, client → server', () => {
  const decode = (bytes: Uint8Array, phase: P.ClientPhase = 'options') => {
    const d = new P.RequestDecoder();
    d.phase = phase;
    d.feed(bytes);
    return { d, ev: d.next() };
  };

  test('client flags', () => {
    const want = hex('00000003');
    expect(toHex(P.encodeClientFlags(P.NBD_FLAG_C_FIXED_NEWSTYLE | P.NBD_FLAG_C_NO_ZEROES))).toBe(toHex(want));
    const { d, ev } = decode(want, 'client-flags');
    expect(ev).toBe(P.REQUEST_EVENT.CLIENT_FLAGS);
    expect(d.clientFlags).toBe(3);
    expect(d.phase).toBe('options');
  });

  test('options without data: ABORT, LIST, STARTTLS, STRUCTURED_REPLY', () => {
    for (const opt of [2, 3, 5, 8]) {
      const want = hex(`${IHAVEOPT} 0000000${opt} 00000000`);
      expect(toHex(P.encodeOption(opt))).toBe(toHex(want));
      const { d, ev } = decode(want);
      expect(ev).toBe(P.REQUEST_EVENT.OPTION);
      expect([d.option, d.optionData.length]).toEqual([opt, 0]);
    }
  });

  test('EXPORT_NAME switches the stream to transmission', () => {
    const want = hex(`${IHAVEOPT} 00000001 00000004 ${ascii('disk')}`);
    expect(toHex(P.encodeExportNameOption('disk'))).toBe(toHex(want));
    const { d } = decode(want);
    expect(Buffer.from(d.optionData).toString()).toBe('disk');
    expect(d.phase).toBe('transmission');
  });

  test('GO / INFO with info requests', () => {
    const want = hex(`${IHAVEOPT} 00000007 00000009 00000001 61 0001 0003`);
    expect(toHex(P.encodeInfoOption(P.NBD_OPT_GO, 'a', [P.NBD_INFO_BLOCK_SIZE]))).toBe(toHex(want));
    const { d } = decode(want);
    expect(P.parseInfoOptionData(d.optionData)).toEqual({ name: 'a', infoRequests: [3] });
    expect(P.parseInfoOptionData(hex('00000005 61 0000'))).toBeInstanceOf(P.ProtocolError);
  });

  test('SET_META_CONTEXT / LIST_META_CONTEXT with queries', () => {
    const want = hex(`${IHAVEOPT} 0000000a 0000001b 00000000 00000001 0000000f ${BASE_ALLOC}`);
    expect(toHex(P.encodeMetaContextOption(P.NBD_OPT_SET_META_CONTEXT, '', ['base:allocation']))).toBe(toHex(want));
    const { d } = decode(want);
    expect(P.parseMetaContextOptionData(d.optionData)).toEqual({ exportName: '', queries: ['base:allocation'] });
    const list = P.encodeMetaContextOption(P.NBD_OPT_LIST_META_CONTEXT, 'x', []);
    expect(toHex(list)).toBe(`${IHAVEOPT}0000000900000009000000017800000000`);
    const bad = P.parseMetaContextOptionData(hex('00000000 00000001 00000010 61'));
    expect(bad).toBeInstanceOf(P.ProtocolError);
    expect((bad as P.ProtocolError).verdict).toBe('fail-request');
  });
});

describe('transmission messages', () => {
  test('request header, and a WRITE with its payload', () => {
    const want = hex('25609513 0004 0000 00000002 00000005 0000000000001000 00001000');
    expect(toHex(bytesOf((b, o) => P.encodeRequest(b, o, P.NBD_CMD_FLAG_DF, P.NBD_CMD_READ, 2, 5, 0x1000, 0x1000), 28))).toBe(toHex(want));
    const w = hex('25609513 0001 0001 00000001 00000000 0000000200000000 00000003 aabbcc');
    expect(toHex(bytesOf((b, o) => P.encodeRequest(b, o, 1, 1, 1, 0, 2 ** 33, 3), 28))).toBe(toHex(w.subarray(0, 28)));
    const d = new P.RequestDecoder();
    d.phase = 'transmission';
    d.feed(w);
    expect(d.next()).toBe(P.REQUEST_EVENT.REQUEST);
    expect([d.flags, d.type, d.cookieHi, d.cookieLo, d.offset, d.length]).toEqual([1, 1, 1, 0, 2 ** 33, 3]);
    expect(d.next()).toBe(P.REQUEST_EVENT.WRITE_DATA);
    expect([toHex(d.data), d.dataPos, d.dataRemaining]).toEqual(['aabbcc', 0, 0]);
    expect(d.next()).toBe(P.REQUEST_EVENT.NEED_MORE);
  });

  test('simple reply with read data', () => {
    const want = hex('67446698 00000000 00000002 00000005');
    expect(toHex(bytesOf((b, o) => P.encodeSimpleReply(b, o, 0, 2, 5), 16))).toBe(toHex(want));
    const r = new P.ReplyDecoder(false);
    r.feed(hex('67446698 00000000 00000002 00000005 deadbeef'));
    expect(r.next()).toBe(P.REPLY_EVENT.SIMPLE);
    expect([r.error, r.cookieHi, r.cookieLo, r.chunkType]).toEqual([0, 2, 5, -1]);
    r.expectData(4);
    expect(r.next()).toBe(P.REPLY_EVENT.DATA);
    expect(toHex(r.data)).toBe('deadbeef');
  });

  test('structured chunks: NONE, OFFSET_DATA, OFFSET_HOLE, BLOCK_STATUS, ERROR, ERROR_OFFSET', () => {
    const cookie = '00000002 00000005';
    const none = hex(`668e33ef 0001 0000 ${cookie} 00000000`);
    expect(toHex(bytesOf((b, o) => P.encodeChunkNone(b, o, 2, 5), 20))).toBe(toHex(none));
    const data = hex(`668e33ef 0001 0001 ${cookie} 0000000c 0000000000001000 deadbeef`);
    expect(toHex(bytesOf((b, o) => P.encodeChunkOffsetDataHeader(b, o, 1, 2, 5, 0x1000, 4), 28))).toBe(toHex(data.subarray(0, 28)));
    const hole = hex(`668e33ef 0000 0002 ${cookie} 0000000c 0000000000001004 00000200`);
    expect(toHex(bytesOf((b, o) => P.encodeChunkOffsetHole(b, o, 0, 2, 5, 0x1004, 0x200), 32))).toBe(toHex(hole));
    const bs = hex(`668e33ef 0001 0005 ${cookie} 00000014 00000001 00001000 00000000 00002000 00000003`);
    expect(toHex(P.encodeChunkBlockStatus(1, 2, 5, 1, [0x1000, 0, 0x2000, 3]))).toBe(toHex(bs));
    const er = hex(`668e33ef 0001 8001 ${cookie} 00000008 00000005 0002 6f6f`);
    expect(toHex(P.encodeChunkError(1, 2, 5, P.NBD_EIO, 'oo'))).toBe(toHex(er));
    const eo = hex(`668e33ef 0001 8002 ${cookie} 0000000e 00000005 0000 0000000000001200`);
    expect(toHex(P.encodeChunkErrorOffset(1, 2, 5, P.NBD_EIO, 0x1200))).toBe(toHex(eo));

    const r = new P.ReplyDecoder(true);
    const E = P.REPLY_EVENT;
    r.feed(none);
    expect([r.next(), r.done, r.cookieLo]).toEqual([E.CHUNK_NONE, true, 5]);
    r.feed(data);
    expect([r.next(), r.offset, r.length, r.done]).toEqual([E.CHUNK_OFFSET_DATA, 0x1000, 4, true]);
    expect([r.next(), toHex(r.data), r.dataPos, r.dataRemaining]).toEqual([E.DATA, 'deadbeef', 0, 0]);
    r.feed(hole);
    expect([r.next(), r.offset, r.length, r.done]).toEqual([E.CHUNK_OFFSET_HOLE, 0x1004, 0x200, false]);
    r.feed(bs);
    expect([r.next(), r.contextId, r.extentCount, r.extentLength(1), r.extentFlags(1)]).toEqual([E.CHUNK_BLOCK_STATUS, 1, 2, 0x2000, 3]);
    r.feed(er);
    expect([r.next(), r.error, r.message, r.offset, r.knownType]).toEqual([E.CHUNK_ERROR, 5, 'oo', -1, true]);
    r.feed(eo);
    expect([r.next(), r.error, r.message, r.offset]).toEqual([E.CHUNK_ERROR, 5, '', 0x1200]);
    r.feed(hex(`668e33ef 0001 8099 ${cookie} 00000007 0000001c 0000 ff`));
    expect([r.next(), r.error, r.knownType]).toEqual([E.CHUNK_ERROR, 28, false]);
    expect(r.next()).toBe(E.NEED_MORE);
  });

  test('reply violations are hard-disconnect', () => {
    const cookie = '00000000 00000000';
    const cases: [boolean, string, P.ProtocolErrorCode][] = [
      [true, '12345678', 'bad-magic'],
      [false, `668e33ef 0001 0000 ${cookie} 00000000`, 'structured-not-negotiated'],
      [true, `668e33ef 0001 0003 ${cookie} 00000000`, 'unknown-chunk-type'],
      [true, `668e33ef 0001 0006 ${cookie} 00000000`, 'unknown-chunk-type'],
      [true, `668e33ef 0000 0000 ${cookie} 00000000`, 'bad-value'],
      [true, `668e33ef 0001 0000 ${cookie} 00000001 00`, 'bad-length'],
      [true, `668e33ef 0001 0001 ${cookie} 00000008 0000000000000000`, 'bad-length'],
      [true, `668e33ef 0001 0002 ${cookie} 0000000c 0000000000000000 00000000`, 'bad-value'],
      [true, `668e33ef 0001 0005 ${cookie} 00000008 00000001 00000200`, 'bad-length'],
      [true, `668e33ef 0001 8001 ${cookie} 00000007 00000005 0002 61`, 'bad-length'],
      [true, `668e33ef 0001 8001 ${cookie} 00000006 00000000 0000`, 'bad-value'],
      [true, `668e33ef 0001 8002 ${cookie} 00000006 00000005 0000`, 'bad-length'],
    ];
    for (const [structured, h, code] of cases) {
      const r = new P.ReplyDecoder(structured);
      r.feed(hex(h));
      expect(r.next(), h).toBe(P.REPLY_EVENT.ERROR);
      expect([r.protocolError?.code, r.protocolError?.verdict], h).toEqual([code, 'hard-disconnect']);
      expect(r.next()).toBe(P.REPLY_EVENT.ERROR); // stays failed
    }
  });

  test('request stream violations', () => {
    const d = new P.RequestDecoder();
    d.phase = 'transmission';
    d.feed(hex('25609514 0000 0000 00000000 00000000 0000000000000000 00000000'));
    expect(d.next()).toBe(P.REQUEST_EVENT.ERROR);
    expect(d.protocolError?.code).toBe('bad-magic');
    const o = new P.RequestDecoder({ maxOptionData: 8 });
    o.phase = 'options';
    o.feed(hex(`${IHAVEOPT} 00000007 00000009`));
    expect(o.next()).toBe(P.REQUEST_EVENT.ERROR);
    expect(o.protocolError?.code).toBe('payload-too-large');
  });
});
