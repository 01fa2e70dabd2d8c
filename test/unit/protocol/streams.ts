/**
 * Random valid server → client transmission streams for split and fuzz tests, built from a seed:
 * a few requests in flight and their replies (structured reads cut into data and hole chunks in
 * any order, DONE last; block status; simple and error replies), interleaved across requests.
 * The encoders used here are pinned byte-for-byte by vectors.test.ts.
 */
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { concat } from './helpers.ts';

export const GEN = 9;

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export function exportFor(structured: boolean): P.NegotiatedExport {
  return {
    exportName: '', size: 1 << 20, sizeBig: 1n << 20n, transmissionFlags: 0x0ded, minBlock: 512, prefBlock: 4096,
    maxPayload: 1 << 16, blockSizeAdvertised: true, structuredReplies: structured,
    metaContexts: structured ? { 'base:allocation': 1 } : {}, tls: false, viaExportName: false, description: '', extendedHeaders: false, compression: 0, checksum: 0, extensions: [],
  };
}

export interface Expected {
  error: number;
  data: Uint8Array | null;
  extents: number[];
  failRequest: boolean;
}

export interface Scenario {
  x: P.NegotiatedExport;
  requests: P.NbdRequest[];
  expected: Expected[];
  stream: Uint8Array;
}

const header = (f: (b: Uint8Array, o: number) => number, n: number): Uint8Array => {
  const b = new Uint8Array(n);
  f(b, 0);
  return b;
};

/** Builds a scenario; `requests` are fresh objects, ready to submit in order (tags 0..n-1). */
export function scenario(seed: number, structured: boolean): Scenario {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const x = exportFor(structured);
  const n = 1 + pick(5);
  const requests: P.NbdRequest[] = [];
  const expected: Expected[] = [];
  const perReq: Uint8Array[][] = [];
  for (let tag = 0; tag < n; tag++) {
    const kind = structured ? pick(5) : pick(3);
    const off = tag * 8192;
    const msgs: Uint8Array[] = [];
    if (kind === 0 || kind === 3) {
      const len = 512 * (1 + pick(8));
      const req = P.newRequest(P.NBD_CMD_READ, off, len, new Uint8Array(len).fill(0xee));
      const want = new Uint8Array(len);
      const exp: Expected = { error: 0, data: want, extents: [], failRequest: false };
      if (!structured) {
        const fail = kind === 3 || pick(4) === 0;
        // Header and data form one message: nothing may come between them.
        const head = header((b, o) => P.encodeSimpleReply(b, o, fail ? P.NBD_EIO : 0, GEN, tag), 16);
        if (fail) {
          exp.error = P.NBD_EIO;
          exp.data = null;
          msgs.push(head);
        } else {
          for (let i = 0; i < len; i++) want[i] = pick(256);
          msgs.push(concat([head, want]));
        }
      } else {
        // Cut [0, len) into pieces, each data or hole, sent in a shuffled order, DONE on the last.
        const cuts = [0];
        while (cuts[cuts.length - 1]! < len) cuts.push(Math.min(len, cuts[cuts.length - 1]! + 512 * (1 + pick(3))));
        const pieces: Uint8Array[] = [];
        for (let i = 0; i + 1 < cuts.length; i++) {
          const a = cuts[i]!;
          const b = cuts[i + 1]!;
          if (pick(3) === 0) {
            pieces.push(header((h, o) => P.encodeChunkOffsetHole(h, o, 0, GEN, tag, off + a, b - a), 32));
          } else {
            for (let k = a; k < b; k++) want[k] = pick(256);
            pieces.push(concat([header((h, o) => P.encodeChunkOffsetDataHeader(h, o, 0, GEN, tag, off + a, b - a), 28), want.slice(a, b)]));
          }
        }
        for (let i = pieces.length - 1; i > 0; i--) {
          const j = pick(i + 1);
          [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
        }
        if (kind === 3) {
          pieces.splice(pick(pieces.length + 1), 0, P.encodeChunkError(0, GEN, tag, P.NBD_EIO, 'bad sector'));
          exp.error = P.NBD_EIO;
          exp.data = null;
        }
        msgs.push(...pieces, header((h, o) => P.encodeChunkNone(h, o, GEN, tag), 20));
      }
      requests.push(req);
      expected.push(exp);
    } else if (kind === 1) {
      const req = P.newRequest(P.NBD_CMD_WRITE, off, 512, new Uint8Array(512).fill(tag));
      const err = pick(3) === 0 ? P.NBD_ENOSPC : 0;
      msgs.push(structured && err
        ? P.encodeChunkError(P.NBD_REPLY_FLAG_DONE, GEN, tag, err, 'full')
        : header((b, o) => P.encodeSimpleReply(b, o, err, GEN, tag), 16));
      requests.push(req);
      expected.push({ error: err, data: null, extents: [], failRequest: false });
    } else if (kind === 2) {
      requests.push(P.newRequest(P.NBD_CMD_TRIM, off, 1024));
      msgs.push(header((b, o) => P.encodeSimpleReply(b, o, 0, GEN, tag), 16));
      expected.push({ error: 0, data: null, extents: [], failRequest: false });
    } else {
      const req = P.newRequest(P.NBD_CMD_BLOCK_STATUS, off, 8192);
      req.extents = [];
      const ext = [4096, pick(4), 4096 + 512 * pick(4), pick(4)];
      msgs.push(P.encodeChunkBlockStatus(P.NBD_REPLY_FLAG_DONE, GEN, tag, 1, ext));
      requests.push(req);
      expected.push({ error: 0, data: null, extents: [1, ext[0]!, ext[1]!, 1, ext[2]!, ext[3]!], failRequest: false });
    }
    perReq.push(msgs);
  }
  // Interleave the per-request message lists, keeping each list's order.
  const out: Uint8Array[] = [];
  const idx = perReq.map(() => 0);
  for (;;) {
    const open = idx.map((v, i) => (v < perReq[i]!.length ? i : -1)).filter((i) => i >= 0);
    if (open.length === 0) break;
    const i = open[pick(open.length)]!;
    out.push(perReq[i]![idx[i]!]!);
    idx[i]!++;
  }
  for (let t = 0; t < requests.length; t++) requests[t]!.tag = t;
  return { x, requests, expected, stream: concat(out) };
}

export interface Outcome {
  completed: { tag: number; error: number; data: string; extents: number[]; protocolError: P.ProtocolError | null }[];
  error: P.ProtocolError | null;
  state: P.SessionState;
}

/** Submits the scenario's requests, feeds `parts`, and records what came out. */
export function run(s: Scenario, parts: readonly Uint8Array[]): Outcome {
  const completed: Outcome['completed'] = [];
  const sess = new P.TransmissionSession(s.x, {
    send: () => {},
    complete: (q) => completed.push({
      tag: q.tag, error: q.error, data: q.type === P.NBD_CMD_READ && q.error === 0 ? Buffer.from(q.data!).toString('hex') : '',
      extents: q.extents ? [...q.extents] : [], protocolError: q.protocolError,
    }),
  }, { generation: GEN, maxInFlight: 8 });
  for (const q of s.requests) {
    const e = sess.submit(q);
    if (e) throw new Error(`scenario request refused: ${e.reason}`);
  }
  let error: P.ProtocolError | null = null;
  for (const p of parts) {
    error = sess.feed(p) ?? error;
  }
  return { completed, error, state: sess.state };
}
