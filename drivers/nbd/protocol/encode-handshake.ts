/**
 * Encoders for every handshake-phase message, both directions. Handshake messages are rare, so
 * these return fresh arrays; transmission-phase encoders (encode-transmission.ts) do not allocate.
 */
import {
  IHAVEOPT_HI, IHAVEOPT_LO, NBDMAGIC_HI, NBDMAGIC_LO, NBD_REP_MAGIC_HI, NBD_REP_MAGIC_LO,
  NBD_GREETING_SIZE, NBD_OPTION_HEADER_SIZE, NBD_OPTION_REPLY_HEADER_SIZE, NBD_REP_ACK,
  NBD_REP_INFO, NBD_REP_META_CONTEXT, NBD_REP_SERVER, NBD_INFO_BLOCK_SIZE, NBD_INFO_DESCRIPTION,
  NBD_INFO_EXPORT, NBD_INFO_NAME, NBD_EXPORT_NAME_REPLY_SIZE, NBD_EXPORT_NAME_REPLY_ZEROES,
  NBD_OPT_EXPORT_NAME, NBD_REP_ORION_CHOSEN,
} from './uapi.ts';
import { put16, put32, put64n, utf8Bytes } from './wire.ts';

const NONE = new Uint8Array(0);

// ---- server → client --------------------------------------------------------------------------

/** NBDMAGIC, IHAVEOPT, 16-bit handshake flags (newstyle greeting). */
export function encodeGreeting(handshakeFlags: number): Uint8Array {
  const b = new Uint8Array(NBD_GREETING_SIZE);
  put32(b, 0, NBDMAGIC_HI);
  put32(b, 4, NBDMAGIC_LO);
  put32(b, 8, IHAVEOPT_HI);
  put32(b, 12, IHAVEOPT_LO);
  put16(b, 16, handshakeFlags);
  return b;
}

/** Reply to NBD_OPT_EXPORT_NAME: size, transmission flags, and 124 zeroes unless NO_ZEROES. */
export function encodeExportNameReply(size: bigint, transmissionFlags: number, noZeroes: boolean): Uint8Array {
  const b = new Uint8Array(NBD_EXPORT_NAME_REPLY_SIZE + (noZeroes ? 0 : NBD_EXPORT_NAME_REPLY_ZEROES));
  put64n(b, 0, size);
  put16(b, 8, transmissionFlags);
  return b;
}

/** Any fixed-newstyle option reply: magic, option, reply type, length, data. */
export function encodeOptionReply(option: number, replyType: number, data: Uint8Array = NONE): Uint8Array {
  const b = new Uint8Array(NBD_OPTION_REPLY_HEADER_SIZE + data.length);
  put32(b, 0, NBD_REP_MAGIC_HI);
  put32(b, 4, NBD_REP_MAGIC_LO);
  put32(b, 8, option);
  put32(b, 12, replyType);
  put32(b, 16, data.length);
  b.set(data, NBD_OPTION_REPLY_HEADER_SIZE);
  return b;
}

export function encodeRepAck(option: number): Uint8Array {
  return encodeOptionReply(option, NBD_REP_ACK);
}

/** An error reply (replyType has bit 31 set), optionally with a message for humans. */
export function encodeRepError(option: number, replyType: number, message = ''): Uint8Array {
  return encodeOptionReply(option, replyType, utf8Bytes(message));
}

/** NBD_REP_SERVER: 32-bit name length, name, then an optional description. */
export function encodeRepServer(option: number, name: string, description = ''): Uint8Array {
  const n = utf8Bytes(name);
  const d = utf8Bytes(description);
  const data = new Uint8Array(4 + n.length + d.length);
  put32(data, 0, n.length);
  data.set(n, 4);
  data.set(d, 4 + n.length);
  return encodeOptionReply(option, NBD_REP_SERVER, data);
}

export function encodeRepInfoExport(option: number, size: bigint, transmissionFlags: number): Uint8Array {
  const data = new Uint8Array(12);
  put16(data, 0, NBD_INFO_EXPORT);
  put64n(data, 2, size);
  put16(data, 10, transmissionFlags);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

export function encodeRepInfoName(option: number, name: string): Uint8Array {
  return encodeRepInfoString(option, NBD_INFO_NAME, name);
}

export function encodeRepInfoDescription(option: number, description: string): Uint8Array {
  return encodeRepInfoString(option, NBD_INFO_DESCRIPTION, description);
}

export function encodeRepInfoBlockSize(option: number, min: number, pref: number, max: number): Uint8Array {
  const data = new Uint8Array(14);
  put16(data, 0, NBD_INFO_BLOCK_SIZE);
  put32(data, 2, min);
  put32(data, 6, pref);
  put32(data, 10, max);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

export function encodeRepMetaContext(option: number, id: number, name: string): Uint8Array {
  const n = utf8Bytes(name);
  const data = new Uint8Array(4 + n.length);
  put32(data, 0, id);
  data.set(n, 4);
  return encodeOptionReply(option, NBD_REP_META_CONTEXT, data);
}

function encodeRepInfoString(option: number, infoType: number, s: string): Uint8Array {
  const t = utf8Bytes(s);
  const data = new Uint8Array(2 + t.length);
  put16(data, 0, infoType);
  data.set(t, 2);
  return encodeOptionReply(option, NBD_REP_INFO, data);
}

// ---- client → server --------------------------------------------------------------------------

export function encodeClientFlags(clientFlags: number): Uint8Array {
  const b = new Uint8Array(4);
  put32(b, 0, clientFlags);
  return b;
}

/** Any option request: IHAVEOPT, option, length, data. */
export function encodeOption(option: number, data: Uint8Array = NONE): Uint8Array {
  const b = new Uint8Array(NBD_OPTION_HEADER_SIZE + data.length);
  put32(b, 0, IHAVEOPT_HI);
  put32(b, 4, IHAVEOPT_LO);
  put32(b, 8, option);
  put32(b, 12, data.length);
  b.set(data, NBD_OPTION_HEADER_SIZE);
  return b;
}

/** NBD_OPT_EXPORT_NAME: the name is the whole option data. */
export function encodeExportNameOption(name: string): Uint8Array {
  return encodeOption(NBD_OPT_EXPORT_NAME, utf8Bytes(name));
}

/** NBD_OPT_INFO / NBD_OPT_GO: name length, name, count of info requests, the 16-bit requests. */
export function encodeInfoOption(option: number, name: string, infoRequests: readonly number[]): Uint8Array {
  const n = utf8Bytes(name);
  const data = new Uint8Array(4 + n.length + 2 + 2 * infoRequests.length);
  put32(data, 0, n.length);
  data.set(n, 4);
  put16(data, 4 + n.length, infoRequests.length);
  for (let i = 0; i < infoRequests.length; i++) put16(data, 6 + n.length + 2 * i, infoRequests[i]!);
  return encodeOption(option, data);
}

/** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: export name, then counted queries. */
export function encodeMetaContextOption(option: number, exportName: string, queries: readonly string[]): Uint8Array {
  const n = utf8Bytes(exportName);
  const qs = queries.map((q) => utf8Bytes(q));
  let len = 4 + n.length + 4;
  for (const q of qs) len += 4 + q.length;
  const data = new Uint8Array(len);
  put32(data, 0, n.length);
  data.set(n, 4);
  let p = 4 + n.length;
  put32(data, p, qs.length);
  p += 4;
  for (const q of qs) {
    put32(data, p, q.length);
    data.set(q, p + 4);
    p += 4 + q.length;
  }
  return encodeOption(option, data);
}

/** Data of an Orion private option (docs/nbd-extensions.md): 16-bit count, then 16-bit algorithm ids. */
export function encodeAlgorithmList(algorithms: readonly number[]): Uint8Array {
  const b = new Uint8Array(2 + 2 * algorithms.length);
  put16(b, 0, algorithms.length);
  for (let i = 0; i < algorithms.length; i++) put16(b, 2 + 2 * i, algorithms[i]!);
  return b;
}

/** NBD_REP_ORION_CHOSEN: the 16-bit algorithm the server picked. */
export function encodeRepChosen(option: number, algorithm: number): Uint8Array {
  const d = new Uint8Array(2);
  put16(d, 0, algorithm);
  return encodeOptionReply(option, NBD_REP_ORION_CHOSEN, d);
}
