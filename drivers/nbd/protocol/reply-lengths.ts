/**
 * The length rules of proto.md "Structured reply types" for the reply chunks the decoder
 * (decode-replies.ts) buffers whole: everything but OFFSET_DATA.
 */
import { hard, type ProtocolError } from './errors.ts';
import {
  NBD_REPLY_TYPE_BLOCK_STATUS, NBD_REPLY_TYPE_BLOCK_STATUS_EXT, NBD_REPLY_TYPE_ERROR_OFFSET, NBD_REPLY_TYPE_FLAG_ERROR,
  NBD_REPLY_TYPE_NONE, NBD_REPLY_TYPE_OFFSET_HOLE,
} from './uapi.ts';

/** Largest buffered (non-data) chunk payload: 2^20 block-status extents with slack. */
export const MAX_BUFFERED_CHUNK = 4 + 8 * (1 << 21);

/** A chunk length that breaks `rule`. A function, not a closure made per chunk (tsx also names each one). */
function badLength(type: number, len: number, rule: string): ProtocolError {
  return hard('bad-length', `chunk(type ${type}).length`, `${rule}, got ${len}`);
}

/** Length rules of proto.md "Structured reply types" for chunks that are buffered whole. */
export function bufferedLengthProblem(type: number, len: number, ext: boolean): ProtocolError | null {
  switch (type) {
    case NBD_REPLY_TYPE_NONE:
      return len === 0 ? null : badLength(type, len, 'must be 0');
    case NBD_REPLY_TYPE_OFFSET_HOLE:
      return len === 12 ? null : badLength(type, len, 'must be 12');
    case NBD_REPLY_TYPE_BLOCK_STATUS_EXT:
      if (!ext) return hard('unknown-chunk-type', 'chunk.type', 'BLOCK_STATUS_EXT without extended headers');
      if (len > 2 * MAX_BUFFERED_CHUNK) return hard('payload-too-large', 'chunk(BLOCK_STATUS_EXT).length', `${len} bytes`);
      return len >= 24 && (len - 8) % 16 === 0 ? null : badLength(type, len, 'must be 8 + 16n with n ≥ 1');
    case NBD_REPLY_TYPE_BLOCK_STATUS:
      if (ext) return hard('unexpected-chunk-type', 'chunk.type', 'BLOCK_STATUS (32-bit) after extended headers: BLOCK_STATUS_EXT is required');
      if (len > MAX_BUFFERED_CHUNK) return hard('payload-too-large', 'chunk(BLOCK_STATUS).length', `${len} bytes`);
      return len >= 12 && (len - 4) % 8 === 0 ? null : badLength(type, len, 'must be 4 + 8n with n ≥ 1');
    default:
      break;
  }
  if ((type & NBD_REPLY_TYPE_FLAG_ERROR) === 0) {
    return hard('unknown-chunk-type', 'chunk.type', `unknown or unexpected non-error chunk type ${type}`);
  }
  if (len > MAX_BUFFERED_CHUNK) return hard('payload-too-large', `chunk(type ${type}).length`, `${len} bytes`);
  const fixed = type === NBD_REPLY_TYPE_ERROR_OFFSET ? 14 : 6;
  if (len < fixed) return badLength(type, len, `must be ≥ ${fixed}`);
  return null;
}
