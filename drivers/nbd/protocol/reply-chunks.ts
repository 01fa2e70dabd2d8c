/**
 * Replies checked against the requests they answer, for the client's transmission session
 * (transmission.ts): the cookie and echoed offset of a reply header; then each structured chunk:
 * content within the request and never overlapping, holes zero-filled, block status for a
 * negotiated context, errors recorded.
 */
import { hard, ProtocolError } from './errors.ts';
import { REPLY_EVENT, type ReplyDecoder } from './decode-replies.ts';
import type { NbdRequest } from './request-check.ts';
import type { Slot } from './transmission-types.ts';
import {
  NBD_CMD_BLOCK_STATUS, NBD_CMD_FLAG_DF, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_FLUSH, NBD_CMD_READ, NBD_EINVAL,
  NBD_REPLY_TYPE_ERROR_OFFSET,
} from './uapi.ts';

/**
 * The slot of the request a reply header answers: its cookie is this connection's generation
 * and a tag in flight, and an extended reply echoes the request's offset.
 */
export function matchReply(d: ReplyDecoder, generation: number, slots: readonly Slot[], ext: boolean, acceptStale: boolean): Slot | ProtocolError {
  if (d.cookieHi !== generation && !acceptStale) {
    return hard('stale-cookie', 'reply.cookie', `generation ${d.cookieHi} is not this connection's ${generation}`);
  }
  const tag = d.cookieLo;
  const s = tag < slots.length ? slots[tag]! : null;
  const req = s?.req;
  if (!s || !req) return hard('unknown-cookie', 'reply.cookie', `no request in flight with tag ${tag}`);
  if (ext && d.replyOffset !== req.offset) {
    return hard('bad-value', 'reply.offset', `extended reply echoes offset ${d.replyOffset}, the request had ${req.offset}`);
  }
  return s;
}

/** The chunk the decoder holds, applied to `req`; a hard protocol error when it does not fit. */
export function applyChunk(
  ev: number, d: ReplyDecoder, s: Slot, req: NbdRequest, metaContexts: Readonly<Record<string, number>>,
  setError: (req: NbdRequest, error: number, message: string) => void,
): ProtocolError | null {
  switch (ev) {
    case REPLY_EVENT.CHUNK_OFFSET_DATA:
    case REPLY_EVENT.CHUNK_OFFSET_HOLE: {
      if (req.type !== NBD_CMD_READ) return hard('unexpected-chunk-type', 'chunk.type', `content chunk for command ${req.type}`);
      if (d.offset < req.offset || d.offset + d.length > req.offset + req.length) {
        return hard('out-of-bounds', 'chunk.offset', `${d.offset}+${d.length} outside request ${req.offset}+${req.length}`);
      }
      s.covered += d.length;
      if (!s.cover.add(d.offset, d.offset + d.length)) {
        return hard('bad-value', 'chunk.offset', `content chunk ${d.offset}+${d.length} overlaps an earlier one`);
      }
      if (++s.contentChunks > 1 && (req.flags & NBD_CMD_FLAG_DF) !== 0) {
        return hard('fragmented', 'chunk', 'more than one content chunk for a DF read');
      }
      if (ev === REPLY_EVENT.CHUNK_OFFSET_HOLE) req.data!.fill(0, d.offset - req.offset, d.offset - req.offset + d.length);
      return null;
    }
    case REPLY_EVENT.CHUNK_BLOCK_STATUS: {
      if (req.type !== NBD_CMD_BLOCK_STATUS) return hard('unexpected-chunk-type', 'chunk.type', `BLOCK_STATUS chunk for command ${req.type}`);
      if (!Object.values(metaContexts).includes(d.contextId)) return hard('bad-value', 'chunk.context', `context id ${d.contextId} was not negotiated`);
      if ((req.flags & NBD_CMD_FLAG_REQ_ONE) !== 0 && d.extentCount !== 1) {
        return hard('bad-value', 'chunk(BLOCK_STATUS)', `${d.extentCount} extents in reply to REQ_ONE`);
      }
      const ex = req.extents;
      if (ex) for (let i = 0; i < d.extentCount; i++) ex.push(d.contextId, d.extentLength(i), d.extentFlags(i));
      return null;
    }
    case REPLY_EVENT.CHUNK_ERROR: {
      if (d.chunkType === NBD_REPLY_TYPE_ERROR_OFFSET) {
        if (req.type === NBD_CMD_FLUSH || d.offset < req.offset || d.offset >= req.offset + Math.max(req.length, 1)) {
          return hard('out-of-bounds', 'chunk(ERROR_OFFSET).offset', `offset ${d.offset} outside request ${req.offset}+${req.length}`);
        }
      }
      s.errored = true;
      if (!d.knownType) {
        req.protocolError = new ProtocolError('unknown-error-chunk', 'fail-request', 'chunk.type', `unknown error chunk type ${d.chunkType}`);
      }
      setError(req, d.error === 0 ? NBD_EINVAL : d.error, d.message);
      return null;
    }
    default:
      return null; // CHUNK_NONE
  }
}
