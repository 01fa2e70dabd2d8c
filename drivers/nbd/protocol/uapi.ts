/**
 * The NBD wire contract: every constant of the protocol, named as doc/proto.md of the
 * NetworkBlockDevice/nbd repository names it, with the values that document assigns.
 * Nothing else in the project defines a protocol constant; client, server and bridge import
 * from here. 64-bit magics are bigints (and split into u32 halves for allocation-free checks).
 */

// ---- Magics -----------------------------------------------------------------------------------

/** ASCII 'NBDMAGIC', first 8 bytes the server sends (a.k.a. INIT_PASSWD). */
export const NBDMAGIC = 0x4e42444d41474943n;
/** ASCII 'IHAVEOPT': second server magic in newstyle, and prefix of every client option. */
export const IHAVEOPT = 0x49484156454f5054n;
/** Oldstyle negotiation's second magic (cliserv_magic); recognised only to refuse oldstyle. */
export const NBD_CLISERV_MAGIC = 0x00420281861253n;
/** Magic that starts every fixed-newstyle option reply. */
export const NBD_REP_MAGIC = 0x3e889045565a9n;
export const NBD_REQUEST_MAGIC = 0x25609513;
export const NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
/** Older name of NBD_SIMPLE_REPLY_MAGIC. */
export const NBD_REPLY_MAGIC = NBD_SIMPLE_REPLY_MAGIC;
export const NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;
/** Magics of the EXTENDED_HEADERS extension (32-byte requests and replies). */
export const NBD_EXTENDED_REQUEST_MAGIC = 0x21e41c71;
export const NBD_EXTENDED_REPLY_MAGIC = 0x6e8a278c;

/** u32 halves of the 64-bit magics, big-endian order (hi first), for checks without bigints. */
export const NBDMAGIC_HI = 0x4e42444d;
export const NBDMAGIC_LO = 0x41474943;
export const IHAVEOPT_HI = 0x49484156;
export const IHAVEOPT_LO = 0x454f5054;
export const NBD_CLISERV_MAGIC_HI = 0x00004202;
export const NBD_CLISERV_MAGIC_LO = 0x81861253;
export const NBD_REP_MAGIC_HI = 0x0003e889;
export const NBD_REP_MAGIC_LO = 0x045565a9;

// ---- Handshake flags (16 bits, server) ------------------------------------------------------

export const NBD_FLAG_FIXED_NEWSTYLE = 1 << 0;
export const NBD_FLAG_NO_ZEROES = 1 << 1;

// ---- Client flags (32 bits) -----------------------------------------------------------------

export const NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const NBD_FLAG_C_NO_ZEROES = 1 << 1;

// ---- Transmission flags (16 bits) -----------------------------------------------------------

export const NBD_FLAG_HAS_FLAGS = 1 << 0;
export const NBD_FLAG_READ_ONLY = 1 << 1;
export const NBD_FLAG_SEND_FLUSH = 1 << 2;
export const NBD_FLAG_SEND_FUA = 1 << 3;
export const NBD_FLAG_ROTATIONAL = 1 << 4;
export const NBD_FLAG_SEND_TRIM = 1 << 5;
export const NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const NBD_FLAG_SEND_DF = 1 << 7;
export const NBD_FLAG_CAN_MULTI_CONN = 1 << 8;
export const NBD_FLAG_SEND_RESIZE = 1 << 9;
export const NBD_FLAG_SEND_CACHE = 1 << 10;
export const NBD_FLAG_SEND_FAST_ZERO = 1 << 11;
export const NBD_FLAG_BLOCK_STATUS_PAYLOAD = 1 << 12;

// ---- Options --------------------------------------------------------------------------------

export const NBD_OPT_EXPORT_NAME = 1;
export const NBD_OPT_ABORT = 2;
export const NBD_OPT_LIST = 3;
export const NBD_OPT_PEEK_EXPORT = 4;
export const NBD_OPT_STARTTLS = 5;
export const NBD_OPT_INFO = 6;
export const NBD_OPT_GO = 7;
export const NBD_OPT_STRUCTURED_REPLY = 8;
export const NBD_OPT_LIST_META_CONTEXT = 9;
export const NBD_OPT_SET_META_CONTEXT = 10;
export const NBD_OPT_EXTENDED_HEADERS = 11;

// ---- Orion private options (docs/nbd-extensions.md): 'ORN' + index, refused by standard servers --

export const NBD_OPT_ORION_COMPRESSION = 0x4f524e01;
export const NBD_OPT_ORION_CHECKSUM = 0x4f524e02;
/** Moves the transmission phase to UDP datagrams (docs/nbd-extensions.md, "UDP transport"). */
export const NBD_OPT_ORION_UDP_TRANSPORT = 0x4f524e03;
/** Every private option, in the order a client sends them. */
export const NBD_OPT_ORION_ALL: readonly number[] = [NBD_OPT_ORION_COMPRESSION, NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_UDP_TRANSPORT];
/** Most algorithms one private option may offer. */
export const NBD_ORION_MAX_ALGORITHMS = 16;

export const NBD_ORION_COMPRESS_LZ4 = 1;
export const NBD_ORION_COMPRESS_DEFLATE = 2;
export const NBD_ORION_CHECKSUM_CRC32C = 1;

/** Payload frame (16 bytes before every payload once compression or checksums are in force). */
export const NBD_ORION_FRAME_SIZE = 16;
export const NBD_ORION_FRAME_COMPRESSED = 1 << 0;
/**
 * Header checksum (docs/nbd-extensions.md, "Header checksums"): with checksums in force, a CRC-32C
 * of 4 bytes follows every transmission header and every buffered chunk payload.
 */
export const NBD_ORION_HEADER_CHECKSUM_SIZE = 4;
/** Error value of a WRITE whose checksum did not match (sent only when checksums are in force). */
export const NBD_ORION_EBADMSG = 74;

// UDP transport (docs/nbd-extensions.md, "UDP transport"): every datagram starts with a 56-byte header.
/** 'ORNQ': a request datagram (client → server). */
export const NBD_ORION_UDP_REQUEST_MAGIC = 0x4f524e51;
/** 'ORNR': a reply datagram (server → client). */
export const NBD_ORION_UDP_REPLY_MAGIC = 0x4f524e52;
export const NBD_ORION_UDP_HEADER_SIZE = 56;
/** Smallest datagram size (header + data) a peer may ask for: header + 512 bytes. */
export const NBD_ORION_UDP_MIN_DATAGRAM = NBD_ORION_UDP_HEADER_SIZE + 512;
/** Data of NBD_REP_ORION_UDP: 16-bit port, 16-bit datagram size, 64-bit session token. */
export const NBD_ORION_UDP_GRANT_SIZE = 12;

// ---- Option reply types ---------------------------------------------------------------------

export const NBD_REP_ACK = 1;
export const NBD_REP_SERVER = 2;
export const NBD_REP_INFO = 3;
export const NBD_REP_META_CONTEXT = 4;
/** Orion private success reply: the algorithm the server picked (16 bits), then NBD_REP_ACK. */
export const NBD_REP_ORION_CHOSEN = 0x4f524e01;
/** Orion private success reply to NBD_OPT_ORION_UDP_TRANSPORT: where and how to send datagrams, then NBD_REP_ACK. */
export const NBD_REP_ORION_UDP = 0x4f524e02;

/** Bit 31 marks every option error reply. */
export const NBD_REP_FLAG_ERROR = 0x80000000;
export const NBD_REP_ERR_UNSUP = 0x80000001;
export const NBD_REP_ERR_POLICY = 0x80000002;
export const NBD_REP_ERR_INVALID = 0x80000003;
export const NBD_REP_ERR_PLATFORM = 0x80000004;
export const NBD_REP_ERR_TLS_REQD = 0x80000005;
export const NBD_REP_ERR_UNKNOWN = 0x80000006;
export const NBD_REP_ERR_SHUTDOWN = 0x80000007;
export const NBD_REP_ERR_BLOCK_SIZE_REQD = 0x80000008;
export const NBD_REP_ERR_TOO_BIG = 0x80000009;
export const NBD_REP_ERR_EXT_HEADER_REQD = 0x8000000a;

// ---- NBD_REP_INFO information types ---------------------------------------------------------

export const NBD_INFO_EXPORT = 0;
export const NBD_INFO_NAME = 1;
export const NBD_INFO_DESCRIPTION = 2;
export const NBD_INFO_BLOCK_SIZE = 3;

// ---- Commands -------------------------------------------------------------------------------

export const NBD_CMD_READ = 0;
export const NBD_CMD_WRITE = 1;
export const NBD_CMD_DISC = 2;
export const NBD_CMD_FLUSH = 3;
export const NBD_CMD_TRIM = 4;
export const NBD_CMD_CACHE = 5;
export const NBD_CMD_WRITE_ZEROES = 6;
export const NBD_CMD_BLOCK_STATUS = 7;
export const NBD_CMD_RESIZE = 8;

// ---- Command flags (16 bits) ----------------------------------------------------------------

export const NBD_CMD_FLAG_FUA = 1 << 0;
export const NBD_CMD_FLAG_NO_HOLE = 1 << 1;
export const NBD_CMD_FLAG_DF = 1 << 2;
export const NBD_CMD_FLAG_REQ_ONE = 1 << 3;
export const NBD_CMD_FLAG_FAST_ZERO = 1 << 4;
export const NBD_CMD_FLAG_PAYLOAD_LEN = 1 << 5;

// ---- Structured reply flags and chunk types -------------------------------------------------

export const NBD_REPLY_FLAG_DONE = 1 << 0;

export const NBD_REPLY_TYPE_NONE = 0;
export const NBD_REPLY_TYPE_OFFSET_DATA = 1;
export const NBD_REPLY_TYPE_OFFSET_HOLE = 2;
export const NBD_REPLY_TYPE_BLOCK_STATUS = 5;
export const NBD_REPLY_TYPE_BLOCK_STATUS_EXT = 6;
/** Bit 15 marks every error chunk type. */
export const NBD_REPLY_TYPE_FLAG_ERROR = 1 << 15;
export const NBD_REPLY_TYPE_ERROR = (1 << 15) + 1;
export const NBD_REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;

// ---- base:allocation metadata context --------------------------------------------------------

export const NBD_META_BASE_ALLOCATION = 'base:allocation';
export const NBD_STATE_HOLE = 1 << 0;
export const NBD_STATE_ZERO = 1 << 1;

// ---- Error values ---------------------------------------------------------------------------

export const NBD_EPERM = 1;
export const NBD_EIO = 5;
export const NBD_ENOMEM = 12;
export const NBD_EINVAL = 22;
export const NBD_ENOSPC = 28;
export const NBD_EOVERFLOW = 75;
export const NBD_ENOTSUP = 95;
export const NBD_ESHUTDOWN = 108;

// ---- Sizes fixed by the wire layout ---------------------------------------------------------

/** NBDMAGIC + IHAVEOPT + 16-bit handshake flags. */
export const NBD_GREETING_SIZE = 18;
export const NBD_CLIENT_FLAGS_SIZE = 4;
/** IHAVEOPT + option + length. */
export const NBD_OPTION_HEADER_SIZE = 16;
/** Reply magic + option + reply type + length. */
export const NBD_OPTION_REPLY_HEADER_SIZE = 20;
/** Size (64) + transmission flags (16), then 124 zero bytes unless NO_ZEROES was agreed. */
export const NBD_EXPORT_NAME_REPLY_SIZE = 10;
export const NBD_EXPORT_NAME_REPLY_ZEROES = 124;
export const NBD_REQUEST_SIZE = 28;
export const NBD_SIMPLE_REPLY_SIZE = 16;
export const NBD_STRUCTURED_REPLY_HEADER_SIZE = 20;
export const NBD_EXTENDED_REQUEST_SIZE = 32;
export const NBD_EXTENDED_REPLY_SIZE = 32;
/** Default block sizes when the server sends no NBD_INFO_BLOCK_SIZE (proto.md "Size constraints"). */
export const NBD_DEFAULT_MIN_BLOCK = 1;
export const NBD_DEFAULT_PREF_BLOCK = 4096;
export const NBD_DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
/** Maximum length of an export name or other string in the protocol. */
export const NBD_MAX_STRING = 4096;
/** The IANA port for newstyle negotiation. */
export const NBD_DEFAULT_PORT = 10809;

/** Names for traces and error messages, indexed by value. */
export const NBD_CMD_NAMES: Readonly<Record<number, string>> = {
  [NBD_CMD_READ]: 'NBD_CMD_READ', [NBD_CMD_WRITE]: 'NBD_CMD_WRITE', [NBD_CMD_DISC]: 'NBD_CMD_DISC',
  [NBD_CMD_FLUSH]: 'NBD_CMD_FLUSH', [NBD_CMD_TRIM]: 'NBD_CMD_TRIM', [NBD_CMD_CACHE]: 'NBD_CMD_CACHE',
  [NBD_CMD_WRITE_ZEROES]: 'NBD_CMD_WRITE_ZEROES', [NBD_CMD_BLOCK_STATUS]: 'NBD_CMD_BLOCK_STATUS',
  [NBD_CMD_RESIZE]: 'NBD_CMD_RESIZE',
};
export const NBD_OPT_NAMES: Readonly<Record<number, string>> = {
  [NBD_OPT_EXPORT_NAME]: 'NBD_OPT_EXPORT_NAME', [NBD_OPT_ABORT]: 'NBD_OPT_ABORT', [NBD_OPT_LIST]: 'NBD_OPT_LIST',
  [NBD_OPT_PEEK_EXPORT]: 'NBD_OPT_PEEK_EXPORT', [NBD_OPT_STARTTLS]: 'NBD_OPT_STARTTLS', [NBD_OPT_INFO]: 'NBD_OPT_INFO',
  [NBD_OPT_GO]: 'NBD_OPT_GO', [NBD_OPT_STRUCTURED_REPLY]: 'NBD_OPT_STRUCTURED_REPLY',
  [NBD_OPT_LIST_META_CONTEXT]: 'NBD_OPT_LIST_META_CONTEXT', [NBD_OPT_SET_META_CONTEXT]: 'NBD_OPT_SET_META_CONTEXT',
  [NBD_OPT_EXTENDED_HEADERS]: 'NBD_OPT_EXTENDED_HEADERS', [NBD_OPT_ORION_COMPRESSION]: 'NBD_OPT_ORION_COMPRESSION',
  [NBD_OPT_ORION_CHECKSUM]: 'NBD_OPT_ORION_CHECKSUM', [NBD_OPT_ORION_UDP_TRANSPORT]: 'NBD_OPT_ORION_UDP_TRANSPORT',
};
export const NBD_REP_NAMES: Readonly<Record<number, string>> = {
  [NBD_REP_ACK]: 'NBD_REP_ACK', [NBD_REP_SERVER]: 'NBD_REP_SERVER', [NBD_REP_INFO]: 'NBD_REP_INFO',
  [NBD_REP_META_CONTEXT]: 'NBD_REP_META_CONTEXT', [NBD_REP_ORION_CHOSEN]: 'NBD_REP_ORION_CHOSEN', [NBD_REP_ORION_UDP]: 'NBD_REP_ORION_UDP', [NBD_REP_ERR_UNSUP]: 'NBD_REP_ERR_UNSUP',
  [NBD_REP_ERR_POLICY]: 'NBD_REP_ERR_POLICY', [NBD_REP_ERR_INVALID]: 'NBD_REP_ERR_INVALID',
  [NBD_REP_ERR_PLATFORM]: 'NBD_REP_ERR_PLATFORM', [NBD_REP_ERR_TLS_REQD]: 'NBD_REP_ERR_TLS_REQD',
  [NBD_REP_ERR_UNKNOWN]: 'NBD_REP_ERR_UNKNOWN', [NBD_REP_ERR_SHUTDOWN]: 'NBD_REP_ERR_SHUTDOWN',
  [NBD_REP_ERR_BLOCK_SIZE_REQD]: 'NBD_REP_ERR_BLOCK_SIZE_REQD', [NBD_REP_ERR_TOO_BIG]: 'NBD_REP_ERR_TOO_BIG',
  [NBD_REP_ERR_EXT_HEADER_REQD]: 'NBD_REP_ERR_EXT_HEADER_REQD',
};
export const NBD_ERROR_NAMES: Readonly<Record<number, string>> = {
  [NBD_EPERM]: 'NBD_EPERM', [NBD_EIO]: 'NBD_EIO', [NBD_ENOMEM]: 'NBD_ENOMEM', [NBD_EINVAL]: 'NBD_EINVAL',
  [NBD_ENOSPC]: 'NBD_ENOSPC', [NBD_EOVERFLOW]: 'NBD_EOVERFLOW', [NBD_ENOTSUP]: 'NBD_ENOTSUP',
  [NBD_ESHUTDOWN]: 'NBD_ESHUTDOWN',
};
