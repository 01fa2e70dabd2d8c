import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import type { TcpSocket } from '../../../kernel/net/index.ts';
import { NetError } from '../../../kernel/net/errors.ts';
import { ADDR_B, Sink, firstDiff, pattern, twoHosts } from './helpers/hosts.ts';

/** Replies as a server writes them: a 16-byte header, then `size` bytes from a larger buffer. */
const SIZES = [4096, 4096, 100, 0, 4096, 70_000, 4096, 512];
const DISK = pattern(1 << 20, 3);

interface Run {
  digest: string;
  wire: string[];
  received: Uint8Array;
  taken: number[];
  /** Sends the buffer cut short. */
  shorts: number;
}

/**
 * Sends SIZES as header + data with `vectored` (sendv) or as two sends (MSG_MORE on the header),
 * resuming on onWritable as a server's writer would: what a short send left is sent as one piece.
 */
function run(vectored: boolean, sndBuf: number): Run {
  const wire: string[] = [];
  const tap = (from: string, p: Packet, t: number): void => {
    wire.push(`${t} ${from} ${p.tcp!.seq} ${p.tcp!.ack} ${p.tcp!.flags} ${p.payload.length}`);
  };
  const { engine, a, b } = twoHosts({ tap, tcp: { delayedAckNs: 40_000 } });
  const sink = new Sink();
  const expected: Uint8Array[] = [];
  const taken: number[] = [];
  b.listen(80).onAccept = (s) => {
    s.onData = sink.take;
  };
  const c: TcpSocket = a.tcpSocket({ sndBuf });
  let rest: Uint8Array | null = null;
  let next = 0;
  let shorts = 0;
  const pump = (): void => {
    while (next < SIZES.length || rest !== null) {
      if (rest !== null) {
        const n = c.send(rest);
        taken.push(n);
        rest = n < rest.length ? rest.subarray(n) : null;
        if (rest !== null) {
          shorts++;
          return;
        }
        continue;
      }
      const i = next++;
      const head = pattern(16, 100 + i);
      const at = 4096 * i + 7;
      const len = SIZES[i]!;
      expected.push(head, DISK.subarray(at, at + len));
      let n: number;
      if (vectored) n = c.sendv(head, DISK, at, len);
      else {
        n = c.send(head, 0, 16, true);
        if (n === 16) n += c.send(DISK, at, len);
      }
      taken.push(n);
      if (n < 16 + len) {
        const all = new Uint8Array(16 + len);
        all.set(head);
        all.set(DISK.subarray(at, at + len), 16);
        rest = all.subarray(n);
        shorts++;
        return;
      }
    }
  };
  c.onConnect = pump;
  c.onWritable = pump;
  c.connect(ADDR_B, 80);
  engine.run();
  const want = new Uint8Array(expected.reduce((k, x) => k + x.length, 0));
  let o = 0;
  for (const x of expected) {
    want.set(x, o);
    o += x.length;
  }
  expect(firstDiff(sink.data(), want)).toBe(-1);
  return { digest: engine.trace.digest(), wire, received: sink.data(), taken, shorts };
}

describe('TcpSocket.sendv (a header and its payload in one call)', () => {
  it('puts on the wire what a header sent with MSG_MORE and then its payload would, segment for segment', () => {
    const two = run(false, 1 << 20);
    const one = run(true, 1 << 20);
    expect(two.wire.length).toBeGreaterThan(40);
    expect(one.wire).toEqual(two.wire);
    expect(one.taken).toEqual(two.taken);
    expect(one.digest).toBe(two.digest);
  });

  it('is the same when the send buffer fills (the rest waits for onWritable)', () => {
    // 10 000 bytes of buffer: the 70 000-byte reply and the ones behind it wait for ACKs.
    const two = run(false, 10_000);
    const one = run(true, 10_000);
    expect(two.shorts).toBeGreaterThan(3);
    expect(one.shorts).toBe(two.shorts);
    expect(one.taken).toEqual(two.taken);
    expect(one.wire).toEqual(two.wire);
    expect(one.digest).toBe(two.digest);
    // A short header: 9 bytes of room take 9 of its bytes and none of the data.
    const { engine, a, b } = twoHosts({});
    b.listen(80).onAccept = (s) => {
      s.onData = () => {};
    };
    const c = a.tcpSocket({ sndBuf: 9 });
    c.connect(ADDR_B, 80);
    engine.run();
    expect(c.sendv(pattern(16), DISK, 0, 100)).toBe(9);
    expect(c.unacked).toBe(9);
  });

  it('checks both ranges before it queues anything', () => {
    const { engine, a, b } = twoHosts({});
    b.listen(80);
    const c = a.tcpSocket();
    c.connect(ADDR_B, 80);
    engine.run();
    expect(() => c.sendv(pattern(16), DISK, DISK.length - 10, 11)).toThrow(NetError);
    expect(c.unacked).toBe(0);
    c.close();
    expect(() => c.sendv(pattern(16), DISK, 0, 10)).toThrow(/shutdown|closed/);
  });
});
