/**
 * Context, actions and guards of the client handshake statechart (handshake-machine.ts holds
 * its states): what the client wants, what the server granted, the option whose reply is awaited.
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { OptionReply } from './decode-handshake-replies.ts';
import { encodeClientFlags, encodeExportNameOption, encodeInfoOption, encodeMetaContextOption, encodeOption } from './encode-handshake.ts';
import { failureOf } from './handshake-failure.ts';
import { privateOptionBytes, recordExtensionReply, startOutcome, type PrivateOption } from './handshake-extensions.ts';
import type {
  ExportListing, ExtensionOutcome, FailureKind, HandshakeConfig, HandshakeEmitted, HandshakeEvent, HandshakeFailure, TlsMode,
} from './handshake-types.ts';
import {
  NBD_FLAG_C_FIXED_NEWSTYLE, NBD_FLAG_C_NO_ZEROES, NBD_FLAG_FIXED_NEWSTYLE, NBD_FLAG_NO_ZEROES, NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION, NBD_OPT_EXPORT_NAME, NBD_OPT_EXTENDED_HEADERS, NBD_OPT_GO, NBD_OPT_SET_META_CONTEXT,
  NBD_REP_ERR_SHUTDOWN, NBD_REP_ERR_UNSUP,
} from './uapi.ts';

export interface HandshakeContext {
  exportName: string;
  tls: TlsMode;
  structuredWanted: boolean;
  metaWanted: readonly string[];
  list: boolean;
  extendedWanted: boolean;
  /** Private options to send before GO, and how many were sent. */
  privateQueue: readonly PrivateOption[];
  privateSent: number;
  extended: boolean;
  extensions: ExtensionOutcome[];
  handshakeFlags: number;
  clientFlags: number;
  noZeroes: boolean;
  /** The option whose reply is awaited (the decoder checks replies against it). */
  currentOption: number;
  tlsActive: boolean;
  structured: boolean;
  metaContexts: Record<string, number>;
  haveExportInfo: boolean;
  sizeBig: bigint;
  transmissionFlags: number;
  minBlock: number;
  prefBlock: number;
  maxPayload: number;
  blockSizeAdvertised: boolean;
  viaExportName: boolean;
  description: string;
  exports: ExportListing[];
  failure: HandshakeFailure | null;
}

type Reply = Extract<HandshakeEvent, { type: 'OPTION_REPLY' }>;
const reply = (e: HandshakeEvent): OptionReply | null => (e.type === 'OPTION_REPLY' ? (e as Reply).reply : null);
const replyKind = (k: OptionReply['kind']) => ({ event }: { event: HandshakeEvent }) => reply(event)?.kind === k;
const replyError = (t: number) => ({ event }: { event: HandshakeEvent }) => {
  const r = reply(event);
  return r?.kind === 'error' && r.replyType === t;
};

/** The bytes of the option request for `option` in this context. */
function optionBytes(option: number, c: HandshakeContext): Uint8Array {
  switch (option) {
    case NBD_OPT_GO: return encodeInfoOption(NBD_OPT_GO, c.exportName, [NBD_INFO_BLOCK_SIZE, NBD_INFO_DESCRIPTION]);
    case NBD_OPT_EXPORT_NAME: return encodeExportNameOption(c.exportName);
    case NBD_OPT_SET_META_CONTEXT: return encodeMetaContextOption(NBD_OPT_SET_META_CONTEXT, c.exportName, c.metaWanted);
    default: return encodeOption(option);
  }
}

/** The machine's types, actions and guards; handshake-machine.ts draws the states over them. */
export const handshakeSetup = setup({
  types: {
    context: {} as HandshakeContext,
    events: {} as HandshakeEvent,
    input: {} as HandshakeConfig,
    emitted: {} as HandshakeEmitted,
  },
  actions: {
    recordGreeting: assign(({ event }) => (event.type === 'GREETING' ? { handshakeFlags: event.handshakeFlags } : {})),
    sendClientFlags: enqueueActions(({ context, enqueue }) => {
      const fixed = (context.handshakeFlags & NBD_FLAG_FIXED_NEWSTYLE) !== 0;
      const noZeroes = (context.handshakeFlags & NBD_FLAG_NO_ZEROES) !== 0;
      const clientFlags = (fixed ? NBD_FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? NBD_FLAG_C_NO_ZEROES : 0);
      enqueue.assign({ clientFlags, noZeroes });
      enqueue.emit({ type: 'send', bytes: encodeClientFlags(clientFlags) });
    }),
    sendOption: enqueueActions(({ context, enqueue }, params: { option: number }) => {
      enqueue.assign({ currentOption: params.option });
      enqueue.emit({ type: 'send', bytes: optionBytes(params.option, context) });
    }),
    sendExtendedHeaders: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ currentOption: NBD_OPT_EXTENDED_HEADERS, extensions: startOutcome(context.extensions, NBD_OPT_EXTENDED_HEADERS) });
      enqueue.emit({ type: 'send', bytes: encodeOption(NBD_OPT_EXTENDED_HEADERS) });
    }),
    sendPrivate: enqueueActions(({ context, enqueue }) => {
      const p = context.privateQueue[context.privateSent]!;
      enqueue.assign({ currentOption: p.option, privateSent: context.privateSent + 1, extensions: startOutcome(context.extensions, p.option) });
      enqueue.emit({ type: 'send', bytes: privateOptionBytes(p) });
    }),
    recordExtension: assign(({ context, event }) => {
      const offered = context.currentOption === NBD_OPT_EXTENDED_HEADERS ? [] : context.privateQueue[context.privateSent - 1]!.algorithms;
      return { extensions: recordExtensionReply(context.extensions, offered, reply(event)!)! };
    }),
    startTls: emit({ type: 'start-tls' as const }),
    // The server forgets all option state on STARTTLS (proto.md NBD_OPT_STARTTLS).
    tlsUp: assign({ tlsActive: true, structured: false, metaContexts: {} }),
    setStructured: assign({ structured: true }),
    setExtended: assign({ extended: true, structured: true }),
    recordMetaContext: assign(({ context, event }) => {
      const r = reply(event);
      return r?.kind === 'meta-context' ? { metaContexts: { ...context.metaContexts, [r.name]: r.id } } : {};
    }),
    clearMetaContexts: assign({ metaContexts: {} }),
    recordInfo: assign(({ event }) => {
      const r = reply(event);
      switch (r?.kind) {
        case 'info-export': return { haveExportInfo: true, sizeBig: r.size, transmissionFlags: r.transmissionFlags };
        case 'info-block-size': return { minBlock: r.min, prefBlock: r.pref, maxPayload: r.max, blockSizeAdvertised: true };
        case 'info-description': return { description: r.description };
        default: return {};
      }
    }),
    recordExportNameReply: assign(({ event }) =>
      event.type === 'EXPORT_NAME_REPLY'
        ? { haveExportInfo: true, sizeBig: event.size, transmissionFlags: event.transmissionFlags, viaExportName: true }
        : {}),
    recordServer: assign(({ context, event }) => {
      const r = reply(event);
      return r?.kind === 'server' ? { exports: [...context.exports, { name: r.name, description: r.description }] } : {};
    }),
    fail: assign(({ context, event }, params: { kind?: FailureKind }) => ({ failure: failureOf(context.currentOption, event, params.kind) })),
  },
  guards: {
    fixedNewstyle: ({ context }) => (context.handshakeFlags & NBD_FLAG_FIXED_NEWSTYLE) !== 0,
    tlsRequired: ({ context }) => context.tls === 'require',
    wantTls: ({ context }) => context.tls !== 'off',
    listMode: ({ context }) => context.list,
    wantStructured: ({ context }) => context.structuredWanted,
    wantExtended: ({ context }) => context.extendedWanted,
    morePrivate: ({ context }) => context.privateSent < context.privateQueue.length,
    validExtensionReply: ({ context, event }) => {
      const r = reply(event);
      if (!r) return false;
      const offered = context.currentOption === NBD_OPT_EXTENDED_HEADERS ? [] : context.privateQueue[context.privateSent - 1]!.algorithms;
      return recordExtensionReply(context.extensions, offered, r) !== null;
    },
    wantMeta: ({ context }) => context.metaWanted.length > 0,
    haveExportInfo: ({ context }) => context.haveExportInfo,
    isAck: replyKind('ack'),
    isError: replyKind('error'),
    isServer: replyKind('server'),
    isMetaContext: replyKind('meta-context'),
    isInfo: ({ event }) => reply(event)?.kind.startsWith('info-') === true,
    isUnsup: replyError(NBD_REP_ERR_UNSUP),
    isShutdown: replyError(NBD_REP_ERR_SHUTDOWN),
  },
});
