/** The option phase of the fixed newstyle handshake, server side: what to answer to each option. */
import type { ProtocolError } from '../../../../drivers/nbd/protocol/errors.ts';
import { parseInfoOptionData, parseMetaContextOptionData } from '../../../../drivers/nbd/protocol/decode-requests.ts';
import {
  encodeExportNameReply, encodeRepAck, encodeRepError, encodeRepInfoBlockSize, encodeRepInfoDescription,
  encodeRepInfoExport, encodeRepInfoName, encodeRepMetaContext, encodeRepServer,
} from '../../../../drivers/nbd/protocol/encode-handshake.ts';
import {
  NBD_FLAG_CAN_MULTI_CONN, NBD_FLAG_HAS_FLAGS, NBD_FLAG_READ_ONLY, NBD_FLAG_ROTATIONAL, NBD_FLAG_SEND_CACHE,
  NBD_FLAG_SEND_DF, NBD_FLAG_SEND_FAST_ZERO, NBD_FLAG_SEND_FLUSH, NBD_FLAG_SEND_FUA, NBD_FLAG_SEND_TRIM,
  NBD_FLAG_SEND_WRITE_ZEROES, NBD_INFO_DESCRIPTION, NBD_INFO_NAME, NBD_META_BASE_ALLOCATION, NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME, NBD_OPT_ORION_UDP_TRANSPORT, NBD_OPT_GO, NBD_OPT_INFO, NBD_OPT_LIST, NBD_OPT_LIST_META_CONTEXT, NBD_OPT_NAMES,
  NBD_OPT_SET_META_CONTEXT, NBD_OPT_STARTTLS, NBD_OPT_EXTENDED_HEADERS, NBD_OPT_STRUCTURED_REPLY, NBD_REP_ERR_INVALID, NBD_REP_ERR_POLICY,
  NBD_REP_ERR_TLS_REQD, NBD_REP_ERR_UNKNOWN, NBD_REP_ERR_UNSUP,
} from '../../../../drivers/nbd/protocol/uapi.ts';
import { utf8String } from '../../../../drivers/nbd/protocol/wire.ts';
import { allowed, DEFAULT_MAX_PAYLOAD, findExport, readOnlyFor } from './config.ts';
import { handlePrivateOption, isPrivateOption } from './extensions.ts';
import { handleUdpOption } from './udp-option.ts';
import type { ServerExport, Session } from './types.ts';

/** The context id this server gives base:allocation. */
export const BASE_ALLOCATION_ID = 1;

/** Transmission flags of an export for this session (DF only with structured replies). */
export function transmissionFlagsFor(s: Session, e: ServerExport): number {
  let f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_CACHE;
  if (readOnlyTo(s, e)) f |= NBD_FLAG_READ_ONLY;
  else f |= NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO;
  if (e.multiConn ?? true) f |= NBD_FLAG_CAN_MULTI_CONN;
  if (e.rotational) f |= NBD_FLAG_ROTATIONAL;
  if (s.structured) f |= NBD_FLAG_SEND_DF;
  return f;
}

/** The export's access list admits this client (bug 'access-control-skipped': every client). */
function permits(s: Session, e: ServerExport): boolean {
  return allowed(e, s.who) || s.server.opts.bugs?.has('access-control-skipped') === true;
}

/** Read-only for this client (bug 'access-control-skipped': read-only grants ignored). */
function readOnlyTo(s: Session, e: ServerExport): boolean {
  return s.server.opts.bugs?.has('access-control-skipped') ? e.readOnly === true : readOnlyFor(e, s.who);
}

function tlsRequiredFirst(s: Session): boolean {
  return s.server.config.tls === 'require' && !s.tlsActive;
}

function replyError(s: Session, option: number, type: number, message: string): void {
  s.trace('option.error', { option: NBD_OPT_NAMES[option] ?? option, type, message });
  s.sendNow(encodeRepError(option, type, message));
}

/** Handles one option request (the decoder hands over its data as a view). */
export function handleOption(s: Session, option: number, data: Uint8Array): void {
  s.trace('option', { option: NBD_OPT_NAMES[option] ?? option, length: data.length });
  if (option === NBD_OPT_EXPORT_NAME) {
    s.udp = null; // EXPORT_NAME forgets the private extensions (docs/nbd-extensions.md)
    return exportName(s, utf8String(data));
  }
  if (option === NBD_OPT_ABORT) {
    s.sendNow(encodeRepAck(option));
    return s.close('NBD_OPT_ABORT');
  }
  if (option === NBD_OPT_STARTTLS) return startTls(s, data);
  if (tlsRequiredFirst(s)) return replyError(s, option, NBD_REP_ERR_TLS_REQD, 'TLS is required: send NBD_OPT_STARTTLS first');
  switch (option) {
    case NBD_OPT_LIST:
      return list(s, data);
    case NBD_OPT_INFO:
    case NBD_OPT_GO:
      return infoOrGo(s, option, data);
    case NBD_OPT_STRUCTURED_REPLY:
      if (data.length !== 0) return replyError(s, option, NBD_REP_ERR_INVALID, 'NBD_OPT_STRUCTURED_REPLY takes no data');
      if (s.server.config.noStructuredReplies) return replyError(s, option, NBD_REP_ERR_UNSUP, 'structured replies are off');
      s.structured = true;
      return s.sendNow(encodeRepAck(option));
    case NBD_OPT_EXTENDED_HEADERS:
      if (data.length !== 0) return replyError(s, option, NBD_REP_ERR_INVALID, 'NBD_OPT_EXTENDED_HEADERS takes no data');
      if (s.server.config.noExtendedHeaders) return replyError(s, option, NBD_REP_ERR_UNSUP, 'extended headers are off');
      s.extended = true;
      s.structured = true;
      return s.sendNow(encodeRepAck(option));
    case NBD_OPT_LIST_META_CONTEXT:
    case NBD_OPT_SET_META_CONTEXT:
      return metaContext(s, option, data);
    default:
      if (option === NBD_OPT_ORION_UDP_TRANSPORT) return handleUdpOption(s, data);
      if (isPrivateOption(option)) return handlePrivateOption(s, option, data);
      return replyError(s, option, NBD_REP_ERR_UNSUP, `option ${option} is not supported`);
  }
}

function startTls(s: Session, data: Uint8Array): void {
  const opt = NBD_OPT_STARTTLS;
  const mode = s.server.config.tls ?? 'off';
  if (mode === 'off' || !s.io.startTls) return replyError(s, opt, NBD_REP_ERR_UNSUP, 'TLS is not configured');
  if (s.tlsActive) return replyError(s, opt, NBD_REP_ERR_INVALID, 'TLS is already active');
  if (data.length !== 0) return replyError(s, opt, NBD_REP_ERR_INVALID, 'NBD_OPT_STARTTLS takes no data');
  s.sendNow(encodeRepAck(opt));
  s.phase = 'tls-wait';
  s.io.startTls();
}

function list(s: Session, data: Uint8Array): void {
  if (data.length !== 0) return replyError(s, NBD_OPT_LIST, NBD_REP_ERR_INVALID, 'NBD_OPT_LIST takes no data');
  for (const e of s.server.config.exports) {
    if (permits(s, e)) s.sendNow(encodeRepServer(NBD_OPT_LIST, e.name, e.description ?? ''));
  }
  s.sendNow(encodeRepAck(NBD_OPT_LIST));
}

function infoOrGo(s: Session, option: number, data: Uint8Array): void {
  const req = parseInfoOptionData(data);
  if (isError(req)) return replyError(s, option, NBD_REP_ERR_INVALID, req.message);
  const e = findExport(s.server.config, req.name);
  if (!e) return replyError(s, option, NBD_REP_ERR_UNKNOWN, `no export named '${req.name}'`);
  if (!permits(s, e)) return replyError(s, option, NBD_REP_ERR_POLICY, `access to export '${e.name}' denied`);
  const flags = transmissionFlagsFor(s, e);
  s.sendNow(encodeRepInfoExport(option, BigInt(e.store.size), flags));
  if (req.infoRequests.includes(NBD_INFO_NAME)) s.sendNow(encodeRepInfoName(option, e.name));
  if (req.infoRequests.includes(NBD_INFO_DESCRIPTION) && e.description) s.sendNow(encodeRepInfoDescription(option, e.description));
  // Block sizes are sent whether asked or not: clients that did not ask may ignore them.
  const b = e.blockSize;
  if (b) s.sendNow(encodeRepInfoBlockSize(option, b.min, b.pref, b.max));
  s.sendNow(encodeRepAck(option));
  if (option === NBD_OPT_GO) enterTransmission(s, e, flags);
}

function exportName(s: Session, name: string): void {
  // No error reply exists for EXPORT_NAME: refusing means closing.
  if (tlsRequiredFirst(s)) return s.close('NBD_OPT_EXPORT_NAME before STARTTLS in TLS-required mode');
  const e = findExport(s.server.config, name);
  if (!e) return s.close(`NBD_OPT_EXPORT_NAME: no export named '${name}'`);
  if (!permits(s, e)) return s.close(`NBD_OPT_EXPORT_NAME: access to export '${e.name}' denied`);
  const flags = transmissionFlagsFor(s, e);
  // proto.md: a client that negotiated extended headers MUST NOT use EXPORT_NAME.
  if (s.extended) return s.close('NBD_OPT_EXPORT_NAME after NBD_OPT_EXTENDED_HEADERS');
  // EXPORT_NAME ends negotiation without GO: private extensions are not in force.
  s.compression = 0;
  s.checksum = 0;
  s.sendNow(encodeExportNameReply(BigInt(e.store.size), flags, s.noZeroes));
  enterTransmission(s, e, flags);
}

function enterTransmission(s: Session, e: ServerExport, flags: number): void {
  s.export = e;
  s.readOnly = readOnlyTo(s, e);
  s.transmissionFlags = flags;
  // Meta contexts only hold for the export they were negotiated on.
  if (s.metaExport !== null && findExport(s.server.config, s.metaExport) !== e) s.metaExport = null;
  s.phase = 'transmission';
  s.decoder.extended = s.extended;
  if (s.compression !== 0 || s.checksum !== 0) {
    const max = e.blockSize?.max ?? DEFAULT_MAX_PAYLOAD;
    s.decoder.framed = true;
    s.decoder.frameMaxWire = max + (max >>> 3);
  }
  // Checksums in force: request and reply headers carry a CRC-32C (docs/nbd-extensions.md, "Header checksums").
  s.decoder.headerChecksum = s.checksum !== 0;
  s.decoder.skipHeaderCheck = s.server.bugs.has('header-checksum-skipped');
  s.replies.setExtended(s.extended, s.checksum !== 0);
  s.decoder.enterTransmission();
  s.trace('transmission', { export: e.name, size: e.store.size, flags, structured: s.structured });
}

function metaContext(s: Session, option: number, data: Uint8Array): void {
  const req = parseMetaContextOptionData(data);
  if (isError(req)) return replyError(s, option, NBD_REP_ERR_INVALID, req.message);
  if (option === NBD_OPT_SET_META_CONTEXT && !s.structured) {
    return replyError(s, option, NBD_REP_ERR_INVALID, 'NBD_OPT_SET_META_CONTEXT needs structured replies first');
  }
  const e = findExport(s.server.config, req.exportName);
  if (!e) return replyError(s, option, NBD_REP_ERR_UNKNOWN, `no export named '${req.exportName}'`);
  if (!permits(s, e)) return replyError(s, option, NBD_REP_ERR_POLICY, `access to export '${e.name}' denied`);
  // LIST with no queries, or a bare 'base:' namespace, lists all contexts of that namespace.
  const wanted = req.queries.some((q) => q === NBD_META_BASE_ALLOCATION) ||
    (option === NBD_OPT_LIST_META_CONTEXT && (req.queries.length === 0 || req.queries.includes('base:')));
  if (option === NBD_OPT_SET_META_CONTEXT) s.metaExport = wanted ? req.exportName : null;
  if (wanted) s.sendNow(encodeRepMetaContext(option, option === NBD_OPT_SET_META_CONTEXT ? BASE_ALLOCATION_ID : 0, NBD_META_BASE_ALLOCATION));
  s.sendNow(encodeRepAck(option));
}

function isError<T>(v: T | ProtocolError): v is ProtocolError {
  return v instanceof Error;
}
