import { Engine } from '../../../hw-sim/engine/index.ts';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_PSH, parseIp, type Packet } from '../../../hw-sim/net/packet.ts';
import type { FrameReceiver } from '../../../hw-sim/net/link.ts';

export const A = parseIp('10.0.0.1');
export const B = parseIp('10.0.0.2');

export function udp(len: number, src = A, dst = B): Packet {
  return { src, dst, proto: IPPROTO_UDP, ipId: 1, ttl: 64, udp: { sport: 5000, dport: 6000 }, payload: new Uint8Array(len).fill(7), gsoSize: 0, corrupt: false };
}

export function tcp(payload: Uint8Array, seq: number, gsoSize = 0, src = A, dst = B): Packet {
  return {
    src, dst, proto: IPPROTO_TCP, ipId: 100, ttl: 64,
    tcp: { sport: 40000, dport: 10809, seq, ack: 1, flags: TCP_ACK | TCP_PSH, window: 512 },
    payload, gsoSize, corrupt: false,
  };
}

/** Records what arrives and when. */
export class Recorder implements FrameReceiver {
  readonly got: Array<{ t: number; p: Packet }> = [];
  constructor(private readonly e: Engine) {}
  receive(p: Packet): void {
    this.got.push({ t: this.e.now, p });
  }
}
