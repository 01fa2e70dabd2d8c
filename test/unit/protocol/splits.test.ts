// Every parser fed random splits of valid streams yields the same result as the unsplit stream.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { concat, hex, splitAt, toHex } from './helpers.ts';
import { run, scenario } from './streams.ts';

const cutsArb = fc.array(fc.nat(4000), { maxLength: 24 });

describe('random splits', () => {
  test('TransmissionSession over structured and simple reply streams', () => {
    fc.assert(fc.property(fc.integer({ min: 1 }), fc.boolean(), cutsArb, (seed, structured, cuts) => {
      const whole = run(scenario(seed, structured), [scenario(seed, structured).stream]);
      const s = scenario(seed, structured);
      const split = run(s, splitAt(s.stream, cuts));
      expect(whole.error).toBeNull();
      expect(split).toEqual(whole);
      // And the result is the one the scenario was built to produce.
      expect(whole.completed.length).toBe(s.requests.length);
      for (const c of whole.completed) {
        const want = s.expected[c.tag]!;
        expect(c.error).toBe(want.error);
        if (want.data) expect(c.data).toBe(toHex(want.data));
        expect(c.extents).toEqual(want.extents);
      }
    }), { numRuns: 400 });
  });

  test('ReplyDecoder events (data re-joined per chunk) do not depend on the split', () => {
    const events = (parts: Uint8Array[]) => {
      const d = new P.ReplyDecoder(true);
      const out: string[] = [];
      for (const p of parts) {
        d.feed(p);
        for (let ev = d.next(); ev !== P.REPLY_EVENT.NEED_MORE; ev = d.next()) {
          if (ev === P.REPLY_EVENT.ERROR) throw d.protocolError;
          if (ev === P.REPLY_EVENT.DATA) out[out.length - 1] += toHex(d.data);
          else out.push(`${ev}:${d.cookieLo}:${d.flags}:${d.offset}:${d.length}:${d.error}:${d.extentCount}:`);
          if (ev === P.REPLY_EVENT.SIMPLE) d.expectData(0);
        }
      }
      return out;
    };
    fc.assert(fc.property(fc.integer({ min: 1 }), cutsArb, (seed, cuts) => {
      const s = scenario(seed, true);
      expect(events(splitAt(s.stream, cuts))).toEqual(events([s.stream]));
    }), { numRuns: 300 });
  });

  test('NbdHandshake over a full negotiation', () => {
    const REP = '0003e889045565a9';
    const server = hex(
      '4e42444d41474943 49484156454f5054 0003' +
      `${REP} 00000008 00000001 00000000` +
      `${REP} 0000000a 00000004 00000013 00000003 626173653a616c6c6f636174696f6e` +
      `${REP} 0000000a 00000001 00000000` +
      `${REP} 00000007 00000003 0000000e 0003 00000001 00001000 02000000` +
      `${REP} 00000007 00000003 0000000c 0000 0000000000100000 0005` +
      `${REP} 00000007 00000001 00000000` + '67446698',
    );
    const go = (parts: Uint8Array[]) => {
      const sent: string[] = [];
      const h = new P.NbdHandshake({}, { send: (b) => sent.push(toHex(b)) }).start();
      for (const p of parts) h.feed(p);
      return { sent, result: h.result, left: toHex(concat(h.takeLeftover())) };
    };
    const whole = go([server]);
    expect(whole.result?.size).toBe(0x100000);
    expect(whole.left).toBe('67446698');
    fc.assert(fc.property(fc.array(fc.nat(server.length), { maxLength: 30 }), (cuts) => {
      expect(go(splitAt(server, cuts))).toEqual(whole);
    }), { numRuns: 80 });
  });

  test('RequestDecoder over client flags, options and requests with write data', () => {
    const stream = concat([
      P.encodeClientFlags(3), P.encodeOption(P.NBD_OPT_STRUCTURED_REPLY),
      P.encodeMetaContextOption(P.NBD_OPT_SET_META_CONTEXT, 'e', ['base:allocation']),
      P.encodeExportNameOption('e'),
      hex('25609513 0001 0001 00000001 00000002 0000000000000200 00000005 0102030405'),
      hex('25609513 0000 0000 00000001 00000003 0000000000000000 00001000'),
      hex('25609513 0000 0003 00000001 00000004 0000000000000000 00000000'),
    ]);
    const events = (parts: Uint8Array[]) => {
      const d = new P.RequestDecoder();
      const out: string[] = [];
      for (const p of parts) {
        d.feed(p);
        for (let ev = d.next(); ev !== P.REQUEST_EVENT.NEED_MORE; ev = d.next()) {
          if (ev === P.REQUEST_EVENT.ERROR) throw d.protocolError;
          if (ev === P.REQUEST_EVENT.WRITE_DATA) out[out.length - 1] += toHex(d.data);
          else if (ev === P.REQUEST_EVENT.OPTION) out.push(`opt ${d.option} ${toHex(d.optionData)}`);
          else if (ev === P.REQUEST_EVENT.CLIENT_FLAGS) out.push(`flags ${d.clientFlags}`);
          else out.push(`req ${d.flags} ${d.type} ${d.cookieHi} ${d.cookieLo} ${d.offset} ${d.length} `);
        }
      }
      return out;
    };
    const whole = events([stream]);
    expect(whole).toHaveLength(7);
    expect(whole[4]).toBe('req 1 1 1 2 512 5 0102030405');
    fc.assert(fc.property(fc.array(fc.nat(stream.length), { maxLength: 30 }), (cuts) => {
      expect(events(splitAt(stream, cuts))).toEqual(whole);
    }), { numRuns: 300 });
  });
});
