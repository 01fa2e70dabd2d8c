// The client handshake: scripted servers (bytes hand-written from proto.md), typed failures,
// fallbacks, TLS, LIST/ABORT — and @xstate/graph paths proving every state and transition reachable.
import { getShortestPaths } from '@xstate/graph';
import { createActor, type AnyStateNode, type InspectionEvent } from 'xstate';
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { ascii, concat, hex, splitAt, toHex } from './helpers.ts';

const NBDMAGIC = '4e42444d41474943';
const IHAVEOPT = '49484156454f5054';
const REP = '0003e889045565a9';
const greeting = (flags: number) => hex(`${NBDMAGIC} ${IHAVEOPT} ${flags.toString(16).padStart(4, '0')}`);
const rep = (opt: number, type: number, data = '') =>
  hex(`${REP} ${opt.toString(16).padStart(8, '0')} ${type.toString(16).padStart(8, '0')} ${(data.replace(/\s/g, '').length / 2).toString(16).padStart(8, '0')} ${data}`);
const ack = (opt: number) => rep(opt, 1);

function client(config: P.HandshakeConfig = {}) {
  const sent: string[] = [];
  let tlsStarts = 0;
  let done: string | null = null;
  const h = new P.NbdHandshake(config, {
    send: (b) => sent.push(toHex(b)),
    startTls: () => void tlsStarts++,
    done: (s) => void (done = s),
  }).start();
  return { h, sent, tls: () => tlsStarts, done: () => done };
}

const OPT_SR = `${IHAVEOPT}0000000800000000`;
const OPT_META = `${IHAVEOPT}0000000a0000001b${'00000000'}00000001${'0000000f'}${ascii('base:allocation')}`;
// GO data: 32-bit name length (0), no name, 16-bit count (2), NBD_INFO_BLOCK_SIZE, NBD_INFO_DESCRIPTION: 10 bytes.
const OPT_GO = `${IHAVEOPT}000000070000000a${'00000000'}0002${'0003'}${'0002'}`;
const OPT_ABORT = `${IHAVEOPT}0000000200000000`;
const INFO_EXPORT = (size: string, flags: string) => `0000 ${size} ${flags}`;

describe('handshake against scripted servers', () => {
  test('fixed newstyle, STRUCTURED_REPLY, SET_META_CONTEXT, GO with block sizes; fed byte by byte', () => {
    const { h, sent, done } = client();
    const server = concat([
      greeting(3),
      ack(8),
      rep(10, 4, `00000005 ${ascii('base:allocation')}`), ack(10),
      rep(7, 3, '0003 00000200 00001000 00100000'),
      rep(7, 3, '0002 ' + ascii('hi')),
      rep(7, 3, '0063 ffff'), // unknown info type: ignored
      rep(7, 3, INFO_EXPORT('0000000040000000', '018d')),
      ack(7),
    ]);
    for (const b of splitAt(server, Array.from({ length: server.length }, (_, i) => i))) h.feed(b);
    expect(sent).toEqual(['00000003', OPT_SR, OPT_META, OPT_GO]);
    expect(done()).toBe('ready');
    expect(h.result).toEqual({
      exportName: '', size: 0x40000000, sizeBig: 0x40000000n, transmissionFlags: 0x018d, minBlock: 512, prefBlock: 4096,
      maxPayload: 0x100000, blockSizeAdvertised: true, structuredReplies: true, metaContexts: { 'base:allocation': 5 },
      tls: false, viaExportName: false, description: 'hi', extendedHeaders: false, compression: 0, checksum: 0, extensions: [],
    });
    expect(h.takeLeftover()).toEqual([]);
  });

  test('GO unsupported ⇒ EXPORT_NAME fallback (with the 124 zeroes when NO_ZEROES is not offered)', () => {
    const { h, sent } = client({ exportName: 'd', structuredReplies: false });
    h.feed(greeting(1));
    h.feed(rep(7, P.NBD_REP_ERR_UNSUP));
    h.feed(hex('0000000000200000 0003' + '00'.repeat(124) + '6744')); // + 2 bytes of transmission stream
    expect(sent).toEqual(['00000001', `${IHAVEOPT}000000070000000b0000000164000200030002`, `${IHAVEOPT}0000000100000001${ascii('d')}`]);
    expect(h.status).toBe('ready');
    expect(h.result).toMatchObject({ size: 0x200000, transmissionFlags: 3, viaExportName: true, structuredReplies: false, minBlock: 1, prefBlock: 4096, maxPayload: 1 << 25 });
    expect(h.takeLeftover().map(toHex)).toEqual(['6744']);
  });

  test('a server without fixed newstyle gets EXPORT_NAME at once; a hang-up there is unknown-export', () => {
    const { h, sent } = client({ exportName: 'x' });
    h.feed(greeting(0));
    expect(sent).toEqual(['00000000', `${IHAVEOPT}0000000100000001${ascii('x')}`]);
    h.eof();
    expect(h.status).toBe('dead');
    expect(h.failure?.kind).toBe('unknown-export');
  });

  test('ERR_TLS_REQD and ERR_POLICY on GO: typed failures, then a soft disconnect (ABORT)', () => {
    for (const [err, kind] of [[P.NBD_REP_ERR_TLS_REQD, 'tls-required'], [P.NBD_REP_ERR_POLICY, 'policy'], [P.NBD_REP_ERR_UNKNOWN, 'unknown-export']] as const) {
      const { h, sent, done } = client({ structuredReplies: false });
      h.feed(greeting(3));
      h.feed(rep(7, err, ascii('go away')));
      expect(sent[sent.length - 1]).toBe(OPT_ABORT);
      expect(h.failure).toMatchObject({ kind, option: 7, replyType: err });
      expect(h.failure?.message).toContain('go away');
      h.feed(ack(2));
      expect(done()).toBe('closed');
    }
  });

  test('size comes from GO’s NBD_INFO_EXPORT; ACK without it is a violation', () => {
    const { h } = client({ structuredReplies: false });
    h.feed(concat([greeting(1), ack(7)]));
    expect(h.status).toBe('dead');
    expect(h.failure?.kind).toBe('protocol');
  });

  test('LIST then ABORT; the server may close instead of acking the abort', () => {
    const { h, sent, done } = client({ list: true });
    h.feed(concat([greeting(3), rep(3, 2, `00000001 61 ${ascii('first')}`), rep(3, 2, '00000001 62'), ack(3)]));
    expect(sent).toEqual(['00000003', `${IHAVEOPT}0000000300000000`, OPT_ABORT]);
    expect(h.exports).toEqual([{ name: 'a', description: 'first' }, { name: 'b', description: '' }]);
    h.eof();
    expect(done()).toBe('closed');
    expect(h.failure).toBeNull();
  });

  test('STARTTLS: ack ⇒ host upgrades ⇒ TLS_READY ⇒ options continue; state reset', () => {
    const { h, sent, tls } = client({ tls: 'require', metaContexts: [] });
    h.feed(greeting(3));
    expect(sent[1]).toBe(`${IHAVEOPT}0000000500000000`);
    h.feed(ack(5));
    expect([h.status, tls()]).toEqual(['tls', 1]);
    h.tlsReady();
    expect(sent[2]).toBe(OPT_SR);
    h.feed(concat([ack(8), rep(7, 3, INFO_EXPORT('0000000000001000', '0001')), ack(7)]));
    expect(h.result).toMatchObject({ tls: true, structuredReplies: true, size: 4096 });
  });

  test('STARTTLS refused: required ⇒ tls-unavailable + ABORT; preferred ⇒ carry on in clear', () => {
    const req = client({ tls: 'require' });
    req.h.feed(concat([greeting(3), rep(5, P.NBD_REP_ERR_POLICY)]));
    expect(req.h.failure?.kind).toBe('tls-unavailable');
    expect(req.sent[req.sent.length - 1]).toBe(OPT_ABORT);
    const pref = client({ tls: 'prefer' });
    pref.h.feed(concat([greeting(3), rep(5, P.NBD_REP_ERR_UNSUP)]));
    expect(pref.sent[pref.sent.length - 1]).toBe(OPT_SR);
  });

  test('TLS failures and plaintext after the STARTTLS ack are fatal', () => {
    const a = client({ tls: 'require' });
    a.h.feed(concat([greeting(3), ack(5)]));
    a.h.tlsFailed('bad psk');
    expect([a.h.status, a.h.failure?.kind]).toEqual(['dead', 'tls-failed']);
    const b = client({ tls: 'require' });
    b.h.feed(concat([greeting(3), ack(5), hex('00')]));
    expect([b.h.status, b.h.failure?.kind, b.tls()]).toEqual(['dead', 'protocol', 0]);
    const c = client({ tls: 'require' });
    c.h.feed(greeting(0));
    expect([c.h.status, c.h.failure?.kind, c.sent]).toEqual(['dead', 'tls-unavailable', ['00000000']]);
  });

  test('ERR_SHUTDOWN ⇒ soft disconnect; bad magic ⇒ hard disconnect', () => {
    const a = client();
    a.h.feed(concat([greeting(3), rep(8, P.NBD_REP_ERR_SHUTDOWN)]));
    expect(a.h.failure?.kind).toBe('shutdown');
    expect(a.sent[a.sent.length - 1]).toBe(OPT_ABORT);
    const b = client();
    b.h.feed(hex('0000000000000000 0000000000000000 0000'));
    expect([b.h.status, b.h.failure?.protocolError?.code, b.sent]).toEqual(['dead', 'bad-magic', []]);
  });
});

// ---- every state and transition reachable ----------------------------------------------------

type Snap = ReturnType<typeof P.handshakeMachine.transition>;
const R = (reply: P.OptionReply): P.HandshakeEvent => ({ type: 'OPTION_REPLY', reply });

function eventsFor(s: Snap): P.HandshakeEvent[] {
  const o = s.context.currentOption;
  const err = (replyType: number) => R({ kind: 'error', option: o, replyType, message: '' });
  return [
    { type: 'GREETING', handshakeFlags: 0 }, { type: 'GREETING', handshakeFlags: 3 },
    R({ kind: 'ack', option: o }), err(P.NBD_REP_ERR_UNSUP), err(P.NBD_REP_ERR_POLICY), err(P.NBD_REP_ERR_SHUTDOWN),
    R({ kind: 'server', option: o, name: 'a', description: '' }),
    R({ kind: 'meta-context', option: o, id: 1, name: 'base:allocation' }),
    R({ kind: 'chosen', option: o, algorithm: 1 }),
    R({ kind: 'info-export', option: o, size: 4096n, transmissionFlags: 1 }),
    { type: 'EXPORT_NAME_REPLY', size: 4096n, transmissionFlags: 1 },
    { type: 'TLS_READY' }, { type: 'TLS_FAILED', reason: 'x' },
    { type: 'PROTOCOL_ERROR', error: new P.ProtocolError('bad-magic', 'hard-disconnect', 'test', 'x') },
    { type: 'EOF' },
  ];
}

const serialize = (s: Snap): string => {
  const c = s.context;
  return JSON.stringify([s.value, c.handshakeFlags, c.tlsActive, c.structured, c.haveExportInfo, c.failure?.kind ?? '',
    c.privateSent, c.extended, c.extensions]);
};

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((n) => allNodes(n as AnyStateNode))];
}

describe('handshake machine coverage (@xstate/graph)', () => {
  test('every state has a description; every state and transition is taken on some path', () => {
    const nodes = allNodes(P.handshakeMachine.root);
    for (const n of nodes.slice(1)) expect(n.description, n.id).toBeTruthy();
    const declared = new Set<unknown>();
    for (const n of nodes) {
      for (const ts of n.transitions.values()) for (const t of ts) declared.add(t);
      for (const t of n.always ?? []) declared.add(t);
    }
    const taken = new Set<unknown>();
    const reached = new Set<string>();
    const configs: P.HandshakeConfig[] = [
      {}, { tls: 'prefer' }, { tls: 'require' }, { list: true }, { structuredReplies: false }, { metaContexts: [] },
      { extendedHeaders: true }, { extendedHeaders: true, structuredReplies: false, metaContexts: [] },
      { extensions: { compression: [1], checksum: [1] } },
    ];
    let paths = 0;
    for (const input of configs) {
      const found = getShortestPaths(P.handshakeMachine, {
        input, events: eventsFor, serializeState: serialize,
        serializeEvent: (e) => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
      });
      for (const path of found) {
        const evs = path.steps.map((st) => st.event).filter((e) => !String(e.type).startsWith('xstate.'));
        // Replay the path, then each possible next event, through a live actor to see which
        // transition definitions fire.
        for (const extra of [null, ...eventsFor(path.state)]) {
          paths++;
          const actor = createActor(P.handshakeMachine, {
            input,
            inspect: (ev: InspectionEvent) => {
              if (ev.type === '@xstate.microstep') for (const t of (ev as unknown as { _transitions: unknown[] })._transitions) taken.add(t);
            },
          }).start();
          for (const e of extra ? [...evs, extra] : evs) if (actor.getSnapshot().status === 'active') actor.send(e as P.HandshakeEvent);
          reached.add(String(actor.getSnapshot().value));
          actor.stop();
        }
      }
    }
    expect(declared.size).toBe(56);
    const missing = [...declared].filter((t) => !taken.has(t))
      .map((t) => { const d = t as { source: AnyStateNode; eventType: string; target?: AnyStateNode[] }; return `${d.source.id} --${d.eventType}--> ${d.target?.map((x) => x.id).join(',')}`; });
    expect(missing).toEqual([]);
    const stateNames = nodes.slice(1).map((n) => n.key);
    // Transient states (newstyle, negotiate) are passed through, so they show up as transition
    // sources above rather than as resting snapshots here.
    expect(stateNames.filter((n) => !reached.has(n)).sort()).toEqual(['negotiate', 'newstyle', 'privateOrGo']);
    expect(paths).toBeGreaterThan(50);
  });
});
