/**
 * The client side of the NBD handshake as a statechart, grouped the way libnbd groups its
 * states: magic, newstyle flags, one state per option exchange, then ready / closed / dead.
 * It is sans-I/O: it consumes decoded server messages as events and emits `send` (bytes for the
 * peer) and `start-tls` (upgrade the transport now, then send TLS_READY or TLS_FAILED).
 * Drive it through NbdHandshake (handshake.ts), which owns the decoder. Context, actions and
 * guards are in handshake-setup.ts.
 */
import { and, not } from 'xstate';
import { privateOptions } from './handshake-extensions.ts';
import { handshakeSetup } from './handshake-setup.ts';
import {
  NBD_DEFAULT_MAX_PAYLOAD, NBD_DEFAULT_MIN_BLOCK, NBD_DEFAULT_PREF_BLOCK, NBD_OPT_ABORT, NBD_OPT_EXPORT_NAME, NBD_OPT_GO,
  NBD_OPT_LIST, NBD_OPT_SET_META_CONTEXT, NBD_OPT_STARTTLS, NBD_OPT_STRUCTURED_REPLY,
} from './uapi.ts';

export type { HandshakeContext } from './handshake-setup.ts';

export const handshakeMachine = handshakeSetup.createMachine({
  id: 'nbdHandshake',
  context: ({ input }) => ({
    exportName: input.exportName ?? '',
    tls: input.tls ?? 'off',
    structuredWanted: input.structuredReplies ?? true,
    metaWanted: input.metaContexts ?? ['base:allocation'],
    list: input.list ?? false,
    extendedWanted: input.extendedHeaders ?? false,
    privateQueue: privateOptions(input.extensions), privateSent: 0, extended: false, extensions: [],
    handshakeFlags: 0, clientFlags: 0, noZeroes: false, currentOption: 0,
    tlsActive: false, structured: false, metaContexts: {},
    haveExportInfo: false, sizeBig: 0n, transmissionFlags: 0,
    minBlock: NBD_DEFAULT_MIN_BLOCK, prefBlock: NBD_DEFAULT_PREF_BLOCK, maxPayload: NBD_DEFAULT_MAX_PAYLOAD,
    blockSizeAdvertised: false, viaExportName: false, description: '', exports: [], failure: null,
  }),
  initial: 'magic',
  on: {
    PROTOCOL_ERROR: { target: '.dead', actions: { type: 'fail', params: {} } },
    EOF: { target: '.dead', actions: { type: 'fail', params: {} } },
  },
  states: {
    magic: {
      description: 'Waiting for the greeting: NBDMAGIC, IHAVEOPT and the 16-bit handshake flags.',
      tags: ['expect-greeting'],
      on: { GREETING: { target: 'newstyle', actions: 'recordGreeting' } },
    },
    newstyle: {
      description: 'Newstyle flags: reply C_FIXED_NEWSTYLE / C_NO_ZEROES as offered, then pick the first option.',
      entry: 'sendClientFlags',
      always: [
        { guard: and([not('fixedNewstyle'), 'tlsRequired']), target: 'dead', actions: { type: 'fail', params: { kind: 'tls-unavailable' } } },
        { guard: and([not('fixedNewstyle'), 'listMode']), target: 'dead', actions: { type: 'fail', params: { kind: 'not-fixed-newstyle' } } },
        { guard: not('fixedNewstyle'), target: 'optExportName' },
        { guard: 'wantTls', target: 'optStarttls' },
        { target: 'negotiate' },
      ],
    },
    optStarttls: {
      description: 'NBD_OPT_STARTTLS sent first, so every later option travels encrypted.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_STARTTLS } },
      on: {
        OPTION_REPLY: [
          { guard: 'isAck', target: 'tlsHandshake' },
          { guard: 'isShutdown', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { guard: and(['isError', 'tlsRequired']), target: 'optAbort', actions: { type: 'fail', params: { kind: 'tls-unavailable' } } },
          { guard: 'isError', target: 'negotiate' },
          { target: 'dead', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    tlsHandshake: {
      description: 'STARTTLS acknowledged: the transport runs the TLS handshake and reports TLS_READY or TLS_FAILED.',
      entry: 'startTls',
      on: {
        TLS_READY: { target: 'negotiate', actions: 'tlsUp' },
        TLS_FAILED: { target: 'dead', actions: { type: 'fail', params: {} } },
      },
    },
    negotiate: {
      description: 'Choose the next option: LIST in list mode, else EXTENDED_HEADERS or STRUCTURED_REPLY if wanted, else the private options and GO.',
      always: [
        { guard: 'listMode', target: 'optList' },
        { guard: 'wantExtended', target: 'optExtendedHeaders' },
        { guard: 'wantStructured', target: 'optStructuredReply' },
        { target: 'privateOrGo' },
      ],
    },
    optExtendedHeaders: {
      description: 'NBD_OPT_EXTENDED_HEADERS: on ACK 32-byte headers (and structured replies); refused, ask for STRUCTURED_REPLY.',
      tags: ['expect-option'],
      entry: 'sendExtendedHeaders',
      on: {
        OPTION_REPLY: [
          { guard: not('validExtensionReply'), target: 'dead', actions: { type: 'fail', params: {} } },
          { guard: and(['isAck', 'wantMeta']), target: 'optSetMetaContext', actions: ['recordExtension', 'setExtended'] },
          { guard: 'isAck', target: 'privateOrGo', actions: ['recordExtension', 'setExtended'] },
          { guard: 'isShutdown', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { guard: and(['isError', 'wantStructured']), target: 'optStructuredReply', actions: 'recordExtension' },
          { target: 'privateOrGo', actions: 'recordExtension' },
        ],
      },
    },
    privateOrGo: {
      description: 'Send the next private option (docs/nbd-extensions.md), or GO when none is left.',
      always: [{ guard: 'morePrivate', target: 'optPrivate' }, { target: 'optGo' }],
    },
    optPrivate: {
      description: 'An Orion private option: CHOSEN then ACK grants it; any error (a standard server: ERR_UNSUP) goes on without it.',
      tags: ['expect-option'],
      entry: 'sendPrivate',
      on: {
        OPTION_REPLY: [
          { guard: not('validExtensionReply'), target: 'dead', actions: { type: 'fail', params: {} } },
          { guard: 'isShutdown', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { guard: 'isAck', target: 'privateOrGo', actions: 'recordExtension' },
          { guard: 'isError', target: 'privateOrGo', actions: 'recordExtension' },
          { actions: 'recordExtension' },
        ],
      },
    },
    optStructuredReply: {
      description: 'NBD_OPT_STRUCTURED_REPLY: on ACK the server must answer reads with structured chunks.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_STRUCTURED_REPLY } },
      on: {
        OPTION_REPLY: [
          { guard: and(['isAck', 'wantMeta']), target: 'optSetMetaContext', actions: 'setStructured' },
          { guard: 'isAck', target: 'privateOrGo', actions: 'setStructured' },
          { guard: 'isShutdown', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { guard: 'isError', target: 'privateOrGo' },
          { target: 'dead', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    optSetMetaContext: {
      description: 'NBD_OPT_SET_META_CONTEXT (base:allocation): collect context ids until ACK.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_SET_META_CONTEXT } },
      on: {
        OPTION_REPLY: [
          { guard: 'isMetaContext', actions: 'recordMetaContext' },
          { guard: 'isAck', target: 'privateOrGo' },
          { guard: 'isShutdown', target: 'optAbort', actions: [{ type: 'fail', params: {} }, 'clearMetaContexts'] },
          { guard: 'isError', target: 'privateOrGo', actions: 'clearMetaContexts' },
          { target: 'dead', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    optGo: {
      description: 'NBD_OPT_GO with an NBD_INFO_BLOCK_SIZE request: INFO replies, then ACK enters transmission.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_GO } },
      on: {
        OPTION_REPLY: [
          { guard: 'isInfo', actions: 'recordInfo' },
          { guard: and(['isAck', 'haveExportInfo']), target: 'ready' },
          { guard: 'isUnsup', target: 'optExportName' },
          { guard: 'isError', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { target: 'dead', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    optExportName: {
      description: 'NBD_OPT_EXPORT_NAME (old servers, or GO unsupported): size and flags, or the server hangs up.',
      tags: ['expect-export-name'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_EXPORT_NAME } },
      on: {
        EXPORT_NAME_REPLY: { target: 'ready', actions: 'recordExportNameReply' },
        EOF: { target: 'dead', actions: { type: 'fail', params: { kind: 'unknown-export' } } },
      },
    },
    optList: {
      description: 'NBD_OPT_LIST: one SERVER reply per export, then ACK; then abort.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_LIST } },
      on: {
        OPTION_REPLY: [
          { guard: 'isServer', actions: 'recordServer' },
          { guard: 'isAck', target: 'optAbort' },
          { guard: 'isError', target: 'optAbort', actions: { type: 'fail', params: {} } },
          { target: 'dead', actions: { type: 'fail', params: {} } },
        ],
      },
    },
    optAbort: {
      description: 'NBD_OPT_ABORT: the soft disconnect; the server may ACK or just close.',
      tags: ['expect-option'],
      entry: { type: 'sendOption', params: { option: NBD_OPT_ABORT } },
      on: {
        OPTION_REPLY: { target: 'closed' },
        EOF: { target: 'closed' },
        PROTOCOL_ERROR: { target: 'closed' },
      },
    },
    ready: { description: 'Negotiated: the transmission phase starts on this connection.', type: 'final' },
    closed: { description: 'Soft disconnect done: close the connection (failure says why, if any).', type: 'final' },
    dead: { description: 'Hard disconnect: the peer broke the protocol, hung up, or TLS failed.', type: 'final' },
  },
});
