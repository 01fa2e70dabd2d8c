/**
 * Incremental decoder of the server → client stream during the handshake: the greeting, fixed
 * newstyle option replies, and the NBD_OPT_EXPORT_NAME reply. The client tells it which message
 * comes next (the stream is not self-describing there). Bytes may be split at any boundary.
 * next() returns a message, null when more bytes are needed, or a ProtocolError; never throws.
 */
import { ByteQueue } from './byte-queue.ts';
import { hard, hex32, ProtocolError } from './errors.ts';
import {
  IHAVEOPT_HI, IHAVEOPT_LO, NBDMAGIC_HI, NBDMAGIC_LO, NBD_CLISERV_MAGIC_HI, NBD_CLISERV_MAGIC_LO,
  NBD_REP_MAGIC_HI, NBD_REP_MAGIC_LO, NBD_GREETING_SIZE, NBD_OPTION_REPLY_HEADER_SIZE, NBD_REP_ACK,
  NBD_REP_FLAG_ERROR, NBD_REP_INFO, NBD_REP_META_CONTEXT, NBD_REP_SERVER, NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION, NBD_INFO_EXPORT, NBD_INFO_NAME, NBD_EXPORT_NAME_REPLY_SIZE,
  NBD_EXPORT_NAME_REPLY_ZEROES, NBD_REP_ORION_CHOSEN, NBD_REP_ORION_UDP,
} from './uapi.ts';
import { get16, get32, get64n, utf8String } from './wire.ts';
import { parseUdpGrant, UdpDatagramError, type UdpGrant } from './udp-datagram.ts';
import { checkQueuedData, checkQueuedHeader, optionWireLength } from './header-checksum.ts';

export type OptionReply =
  | { kind: 'ack'; option: number }
  | { kind: 'server'; option: number; name: string; description: string }
  | { kind: 'info-export'; option: number; size: bigint; transmissionFlags: number }
  | { kind: 'info-name'; option: number; name: string }
  | { kind: 'info-description'; option: number; description: string }
  | { kind: 'info-block-size'; option: number; min: number; pref: number; max: number }
  /** An information type this client does not know: the spec says ignore it. */
  | { kind: 'info-unknown'; option: number; infoType: number }
  | { kind: 'meta-context'; option: number; id: number; name: string }
  /** NBD_REP_ORION_CHOSEN: the algorithm picked for a private option (docs/nbd-extensions.md). */
  | { kind: 'chosen'; option: number; algorithm: number }
  /** NBD_REP_ORION_UDP: where and how to send datagrams (docs/nbd-extensions.md, "UDP transport"). */
  | { kind: 'udp'; option: number; grant: UdpGrant }
  | { kind: 'error'; option: number; replyType: number; message: string };

export type HandshakeMessage =
  | { kind: 'greeting'; handshakeFlags: number }
  | { kind: 'export-name-reply'; size: bigint; transmissionFlags: number }
  | { kind: 'option-reply'; reply: OptionReply };

export type Expect =
  | { kind: 'greeting' }
  | { kind: 'option-reply'; option: number }
  | { kind: 'export-name-reply'; noZeroes: boolean }
  | { kind: 'nothing' };

/** Largest option reply accepted; longer ones are hostile (names and messages are ≤ 4096). */
export const MAX_OPTION_REPLY = 1 << 20;

export class HandshakeReplyDecoder {
  readonly queue = new ByteQueue();
  private expectation: Expect = { kind: 'greeting' };
  private failed: ProtocolError | null = null;
  /** The checksum extension was granted: option replies are sealed (docs/nbd-extensions.md, "Header checksums"). */
  sealed = false;

  expect(e: Expect): void {
    this.expectation = e;
  }

  feed(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  next(): HandshakeMessage | ProtocolError | null {
    if (this.failed) return this.failed;
    const r = this.decode();
    if (r instanceof ProtocolError) this.failed = r;
    return r;
  }

  private decode(): HandshakeMessage | ProtocolError | null {
    const q = this.queue;
    const e = this.expectation;
    switch (e.kind) {
      case 'nothing':
        return q.length > 0 ? hard('trailing-bytes', 'handshake', `${q.length} unexpected bytes from the server`) : null;
      case 'greeting': {
        if (q.length < 16) return null;
        if (q.u32(0) !== NBDMAGIC_HI || q.u32(4) !== NBDMAGIC_LO) {
          return hard('bad-magic', 'greeting.magic', `expected NBDMAGIC, got ${hex32(q.u32(0))}${hex32(q.u32(4)).slice(2)}`);
        }
        const hi = q.u32(8);
        const lo = q.u32(12);
        if (hi === NBD_CLISERV_MAGIC_HI && lo === NBD_CLISERV_MAGIC_LO) {
          return hard('oldstyle', 'greeting.magic2', 'server speaks oldstyle negotiation, which is not supported');
        }
        if (hi !== IHAVEOPT_HI || lo !== IHAVEOPT_LO) {
          return hard('bad-magic', 'greeting.magic2', `expected IHAVEOPT, got ${hex32(hi)}${hex32(lo).slice(2)}`);
        }
        if (q.length < NBD_GREETING_SIZE) return null;
        const handshakeFlags = q.u16(16);
        q.skip(NBD_GREETING_SIZE);
        this.expectation = { kind: 'nothing' };
        return { kind: 'greeting', handshakeFlags };
      }
      case 'export-name-reply': {
        const total = NBD_EXPORT_NAME_REPLY_SIZE + (e.noZeroes ? 0 : NBD_EXPORT_NAME_REPLY_ZEROES);
        if (q.length < total) return null;
        const size = q.u64n(0);
        const transmissionFlags = q.u16(8);
        q.skip(total);
        this.expectation = { kind: 'nothing' };
        return { kind: 'export-name-reply', size, transmissionFlags };
      }
      case 'option-reply': {
        if (q.length < 8) return null;
        if (q.u32(0) !== NBD_REP_MAGIC_HI || q.u32(4) !== NBD_REP_MAGIC_LO) {
          return hard('bad-magic', 'option-reply.magic', `expected 0x3e889045565a9, got ${hex32(q.u32(0))}${hex32(q.u32(4)).slice(2)}`);
        }
        const H = NBD_OPTION_REPLY_HEADER_SIZE;
        if (q.length < H + (this.sealed ? 4 : 0)) return null;
        // Sealed: nothing of the header is believed before its checksum matches.
        const damaged = this.sealed ? checkQueuedHeader(q, H, 'option-reply.header-checksum') : null;
        if (damaged) return damaged;
        const option = q.u32(8);
        const replyType = q.u32(12);
        const len = q.u32(16);
        if (option !== e.option) {
          return hard('unexpected-reply', 'option-reply.option', `reply for option ${option}, but option ${e.option} was sent`);
        }
        if (len > MAX_OPTION_REPLY) return hard('payload-too-large', 'option-reply.length', `${len} bytes`);
        // Before waiting for data that may never come (a damaged length): the fixed-size replies.
        if (replyType === NBD_REP_ACK && len !== 0) return hard('bad-length', 'option-reply(ACK).length', `must be 0, got ${len}`);
        if (replyType === NBD_REP_ORION_CHOSEN && len !== 2) return hard('bad-length', 'option-reply(ORION_CHOSEN).length', `must be 2, got ${len}`);
        if (q.length < optionWireLength(H, len, this.sealed)) return null;
        const bad = this.sealed ? checkQueuedData(q, H + 4, len, 'option-reply.data-checksum') : null;
        if (bad) return bad;
        q.skip(this.sealed ? H + 4 : H);
        const data = q.take(len);
        if (this.sealed && len > 0) q.skip(4);
        const reply = parseOptionReply(option, replyType, data);
        if (reply instanceof ProtocolError) return reply;
        return { kind: 'option-reply', reply };
      }
    }
  }
}

/** Interprets one option reply's data by reply type (and info type), validating lengths. */
export function parseOptionReply(option: number, replyType: number, data: Uint8Array): OptionReply | ProtocolError {
  const len = data.length;
  if ((replyType & NBD_REP_FLAG_ERROR) !== 0) {
    return { kind: 'error', option, replyType, message: utf8String(data) };
  }
  switch (replyType) {
    case NBD_REP_ACK:
      if (len !== 0) return hard('bad-length', 'option-reply(ACK).length', `must be 0, got ${len}`);
      return { kind: 'ack', option };
    case NBD_REP_SERVER: {
      if (len < 4) return hard('bad-length', 'option-reply(SERVER).length', `must be ≥ 4, got ${len}`);
      const nameLen = get32(data, 0);
      if (nameLen > len - 4) return hard('bad-length', 'option-reply(SERVER).name-length', `${nameLen} exceeds ${len - 4}`);
      return {
        kind: 'server', option,
        name: utf8String(data.subarray(4, 4 + nameLen)),
        description: utf8String(data.subarray(4 + nameLen)),
      };
    }
    case NBD_REP_INFO:
      return parseInfo(option, data);
    case NBD_REP_META_CONTEXT:
      if (len < 4) return hard('bad-length', 'option-reply(META_CONTEXT).length', `must be ≥ 4, got ${len}`);
      return { kind: 'meta-context', option, id: get32(data, 0), name: utf8String(data.subarray(4)) };
    case NBD_REP_ORION_CHOSEN:
      if (len !== 2) return hard('bad-length', 'option-reply(ORION_CHOSEN).length', `must be 2, got ${len}`);
      return { kind: 'chosen', option, algorithm: get16(data, 0) };
    case NBD_REP_ORION_UDP: {
      const grant = parseUdpGrant(data, 0xffff);
      if (grant instanceof UdpDatagramError) return hard('bad-value', `option-reply(ORION_UDP).${grant.where}`, grant.detail);
      return { kind: 'udp', option, grant };
    }
    default:
      return hard('unknown-reply-type', 'option-reply.type', `unknown non-error reply type ${hex32(replyType)}`);
  }
}

function parseInfo(option: number, data: Uint8Array): OptionReply | ProtocolError {
  const len = data.length;
  if (len < 2) return hard('bad-length', 'option-reply(INFO).length', `must be ≥ 2, got ${len}`);
  const infoType = get16(data, 0);
  switch (infoType) {
    case NBD_INFO_EXPORT:
      if (len !== 12) return hard('bad-length', 'NBD_INFO_EXPORT.length', `must be 12, got ${len}`);
      return { kind: 'info-export', option, size: get64n(data, 2), transmissionFlags: get16(data, 10) };
    case NBD_INFO_NAME:
      return { kind: 'info-name', option, name: utf8String(data.subarray(2)) };
    case NBD_INFO_DESCRIPTION:
      return { kind: 'info-description', option, description: utf8String(data.subarray(2)) };
    case NBD_INFO_BLOCK_SIZE: {
      if (len !== 14) return hard('bad-length', 'NBD_INFO_BLOCK_SIZE.length', `must be 14, got ${len}`);
      const min = get32(data, 2);
      const pref = get32(data, 6);
      const max = get32(data, 10);
      const bad = blockSizeProblem(min, pref, max);
      if (bad) return hard('bad-block-size', 'NBD_INFO_BLOCK_SIZE', bad);
      return { kind: 'info-block-size', option, min, pref, max };
    }
    default:
      return { kind: 'info-unknown', option, infoType };
  }
}

const isPow2 = (v: number): boolean => v > 0 && (v & (v - 1)) === 0;

/** The MUSTs of proto.md "Size constraints"; returns what is wrong, or '' when valid. */
export function blockSizeProblem(min: number, pref: number, max: number): string {
  if (!isPow2(min) || min > 65536) return `minimum ${min} is not a power of 2 ≤ 65536`;
  if (!isPow2(pref) || pref < Math.max(min, 512)) return `preferred ${pref} is not a power of 2 ≥ max(minimum, 512)`;
  if (max < pref) return `maximum ${max} is below preferred ${pref}`;
  return '';
}
