import type { Ns } from '../schema/types.ts';
import { historyProblems, INITIAL_CONTENT, type History, type OpRecord } from './history.ts';

/** A write (or the initial content, id -1) as a possible value of one block. */
interface Source {
  readonly op: OpRecord | undefined;
  readonly content: number | undefined; // undefined: trim, contents unspecified afterwards
  readonly issuedNs: Ns;
  /** Undefined: never completed, so never overwritten for sure. */
  readonly completedNs: Ns | undefined;
  readonly acked: boolean;
  /** When it became durable (FUA ack, or the completion of a FLUSH issued after its ack). */
  readonly durableNs: Ns;
}

export interface WriteRef {
  readonly id: number | 'initial';
  readonly kind: string;
  readonly content: number | 'unspecified';
  readonly issuedNs: Ns | undefined;
  readonly completedNs: Ns | undefined;
}

export type SafetyViolationKind =
  /** The read returned a value overwritten by a write acknowledged before the read was issued. */
  | 'stale-read'
  /** As stale-read, but the overwrite was durable (flushed or FUA) and a crash lost it. */
  | 'lost-durable-write'
  /** The read returned a value from a write issued after the read completed. */
  | 'future-read'
  /** The read returned a value no write ever put in that block. */
  | 'unknown-content'
  /** The history itself is inconsistent. */
  | 'bad-history';

export interface SafetyViolation {
  readonly kind: SafetyViolationKind;
  readonly block: number;
  readonly readId: number | undefined;
  readonly readIssuedNs: Ns | undefined;
  readonly readCompletedNs: Ns | undefined;
  readonly seen: number | undefined;
  /** What the read could legally have returned. */
  readonly allowed: readonly WriteRef[];
  /** The acknowledged write that made `seen` impossible (stale-read, lost-durable-write). */
  readonly overwrittenBy: WriteRef | undefined;
  /** The crash that lost it (lost-durable-write). */
  readonly crashNs: Ns | undefined;
  readonly message: string;
}

export interface SafetyReport {
  readonly ok: boolean;
  readonly readsChecked: number;
  readonly blocksChecked: number;
  readonly violations: readonly SafetyViolation[];
}

const NEVER = Number.MAX_SAFE_INTEGER;

function ref(s: Source): WriteRef {
  return {
    id: s.op ? s.op.id : 'initial',
    kind: s.op ? s.op.kind : 'initial',
    content: s.content ?? 'unspecified',
    issuedNs: s.op?.issuedNs,
    completedNs: s.completedNs,
  };
}

function fmtRef(r: WriteRef): string {
  if (r.id === 'initial') return 'the initial (never written) content';
  const done = r.completedNs === undefined ? 'never completed' : `acked at ${r.completedNs}ns`;
  return `${r.kind} #${r.id} (content ${r.content}, issued at ${r.issuedNs}ns, ${done})`;
}

/** For each write, when a later FLUSH made it durable: suffix minimum of flush completions. */
function durabilityOf(ops: readonly OpRecord[]): (w: OpRecord) => Ns {
  const flushes = ops
    .filter((o) => o.kind === 'flush' && o.ok && o.completedNs !== undefined)
    .sort((a, b) => a.issuedNs - b.issuedNs);
  const suffixMin: Ns[] = new Array<Ns>(flushes.length + 1).fill(NEVER);
  for (let i = flushes.length - 1; i >= 0; i--) suffixMin[i] = Math.min(suffixMin[i + 1]!, flushes[i]!.completedNs!);
  return (w) => {
    if (!w.ok || w.completedNs === undefined) return NEVER;
    if (w.kind === 'fua-write') return w.completedNs;
    // First flush issued at or after the write's ack (binary search).
    let lo = 0;
    let hi = flushes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (flushes[mid]!.issuedNs < w.completedNs) lo = mid + 1;
      else hi = mid;
    }
    return suffixMin[lo]!;
  };
}

/** Sources per block, in no particular order. */
function indexWrites(h: History, durable: (w: OpRecord) => Ns): Map<number, Source[]> {
  const byBlock = new Map<number, Source[]>();
  for (const op of h.ops) {
    if (op.kind !== 'write' && op.kind !== 'fua-write' && op.kind !== 'trim') continue;
    const first = op.offset / h.blockSize;
    const n = op.length / h.blockSize;
    const durableNs = op.kind === 'trim' ? NEVER : durable(op);
    for (let k = 0; k < n; k++) {
      const s: Source = {
        op,
        content: op.kind === 'trim' ? undefined : op.written![k]!,
        issuedNs: op.issuedNs,
        completedNs: op.completedNs,
        acked: op.ok && op.completedNs !== undefined,
        durableNs,
      };
      const list = byBlock.get(first + k);
      if (list) list.push(s);
      else byBlock.set(first + k, [s]);
    }
  }
  return byBlock;
}

const INITIAL: Source = { op: undefined, content: INITIAL_CONTENT, issuedNs: -1, completedNs: -1, acked: true, durableNs: -1 };

/**
 * Block-device safety: every block a read returns holds the content of a write that could be
 * current — the latest write acknowledged before the read was issued, any write overlapping
 * the read, or (after a crash) any earlier write not overwritten by a durable one. A write W
 * is overwritten for a read R when another write W2 was issued after W was acknowledged and W2
 * was acknowledged before R was issued — and, if a server crashed after W2 was issued (after
 * its ack, for FUA) and before R completed, W2 was durable (FUA, or acknowledged before a
 * successful FLUSH was issued and that FLUSH completed) before the crash. Failed writes may or may not have landed, so they are never ruled out. Trimmed
 * blocks may read as anything until the next write.
 */
export function checkSafety(h: History): SafetyReport {
  const bad = historyProblems(h);
  if (bad.length > 0) {
    return {
      ok: false,
      readsChecked: 0,
      blocksChecked: 0,
      violations: bad.map((message) => ({
        kind: 'bad-history', block: -1, readId: undefined, readIssuedNs: undefined, readCompletedNs: undefined,
        seen: undefined, allowed: [], overwrittenBy: undefined, crashNs: undefined, message,
      })),
    };
  }
  const crashes = h.crashes.map((c) => c.atNs).sort((a, b) => a - b);
  const firstCrashAfter = (t: Ns): Ns => {
    for (const c of crashes) if (c > t) return c;
    return NEVER;
  };
  const byBlock = indexWrites(h, durabilityOf(h.ops));
  const violations: SafetyViolation[] = [];
  let reads = 0;
  let blocks = 0;
  for (const r of h.ops) {
    if (r.kind !== 'read' || !r.ok || r.seen === undefined) continue;
    reads++;
    const first = r.offset / h.blockSize;
    for (let k = 0; k < r.seen.length; k++) {
      blocks++;
      const v = checkBlock(first + k, r, r.seen[k]!, byBlock.get(first + k) ?? [], firstCrashAfter);
      if (v) violations.push(v);
    }
  }
  return { ok: violations.length === 0, readsChecked: reads, blocksChecked: blocks, violations };
}

function checkBlock(block: number, r: OpRecord, seen: number, writes: readonly Source[], firstCrashAfter: (t: Ns) => Ns): SafetyViolation | undefined {
  const readDone = r.completedNs!;
  // The overwrite that rules out the most: the acknowledged write, issued latest, that still
  // counts for this read (durable across any crash between its ack and the read's issue).
  let cut: Source | undefined;
  let cutCrash = NEVER;
  for (const w of writes) {
    if (!w.acked || w.completedNs! >= r.issuedNs) continue;
    // A plain write whose reply arrives after a crash may still have been served before it (the
    // reply was on the wire) and lost with the volatile cache: every crash after its issue counts.
    // A FUA write was durable when the server replied, whichever side of the crash that was.
    const crash = firstCrashAfter(w.op?.kind === 'fua-write' ? w.completedNs! : w.issuedNs);
    // A crash before the read completed may have come before the read reached the disk: an
    // unflushed write lost in it no longer rules out older data.
    if (crash < readDone && w.durableNs > crash) continue;
    if (!cut || w.issuedNs > cut.issuedNs) {
      cut = w;
      cutCrash = crash < readDone ? crash : NEVER;
    }
  }
  const live = (s: Source) => s.completedNs === undefined || !s.acked || !cut || s.completedNs >= cut.issuedNs;
  // Fast path, no allocation: some write that could be current holds what the read saw.
  if (!cut && seen === INITIAL_CONTENT) return undefined;
  for (const s of writes) if (s.issuedNs < readDone && live(s) && (s.content === undefined || s.content === seen)) return undefined;

  const candidates = [INITIAL, ...writes].filter((s) => s.issuedNs < readDone && (s.op === undefined ? !cut : live(s)));

  const from = [INITIAL, ...writes].find((s) => s.content === seen);
  let kind: SafetyViolationKind;
  let crashNs: Ns | undefined;
  if (!from) kind = 'unknown-content';
  else if (from.issuedNs >= readDone) kind = 'future-read';
  else {
    // `from` was overwritten; a crash between the overwrite's ack and the read means the
    // crash lost a durable write, otherwise the read simply returned old data.
    kind = cutCrash !== NEVER ? 'lost-durable-write' : 'stale-read';
    crashNs = cutCrash !== NEVER ? cutCrash : undefined;
  }
  const allowed = candidates.map(ref);
  const over = kind === 'stale-read' || kind === 'lost-durable-write' ? cut && ref(cut) : undefined;
  const what = from ? fmtRef(ref(from)) : `content ${seen} that no write put there`;
  let message = `block ${block}: read #${r.id} (issued ${r.issuedNs}ns, completed ${readDone}ns) returned ${what}`;
  if (over) message += `, overwritten by ${fmtRef(over)}`;
  if (crashNs !== undefined) message += ` which was durable before the crash at ${crashNs}ns`;
  message += `; allowed: ${allowed.map(fmtRef).join('; ')}`;
  return { kind, block, readId: r.id, readIssuedNs: r.issuedNs, readCompletedNs: readDone, seen, allowed, overwrittenBy: over, crashNs, message };
}
