/**
 * What the safety checker reports and how a violation is worded: the report and violation
 * types, and what a violation names of the writes involved.
 */
import type { Ns } from '../schema/types.ts';
import type { OpKind } from './history.ts';
import { formatNsExact as t } from './units.ts';

export const NEVER = Number.MAX_SAFE_INTEGER;

/** One write (or trim) as a violation names it (read when the message is written). */
export interface WriteInfo {
  readonly id: number;
  readonly kind: OpKind;
  readonly issuedNs: Ns;
  /** NEVER while in flight. */
  readonly completedNs: Ns;
}

/** A possible value of one block: a write's content there (undefined: a trim, anything goes). */
export interface Source {
  readonly w: WriteInfo;
  readonly content: number | undefined;
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

/** A read block that matched no write that could be current, with what was known at its end. */
export interface Pending {
  readonly block: number;
  readonly readId: number;
  readonly readIssuedNs: Ns;
  readonly readCompletedNs: Ns;
  readonly seen: number;
  readonly allowed: readonly Source[];
  readonly cut: Source | undefined;
  readonly cutCrash: Ns;
  /** The largest content id issued by the read's end. */
  readonly maxContent: number;
}

export function ref(s: Source): WriteRef {
  const w = s.w;
  if (w.id < 0) return { id: 'initial', kind: 'initial', content: s.content ?? 'unspecified', issuedNs: undefined, completedNs: -1 };
  return { id: w.id, kind: w.kind, content: s.content ?? 'unspecified', issuedNs: w.issuedNs, completedNs: w.completedNs === NEVER ? undefined : w.completedNs };
}

function fmtRef(r: WriteRef): string {
  if (r.id === 'initial') return 'the initial (never written) content';
  const done = r.completedNs === undefined ? 'never completed' : `acked at ${t(r.completedNs)}`;
  return `${r.kind} #${r.id} (content ${r.content}, issued at ${r.issuedNs === undefined ? '?' : t(r.issuedNs)}, ${done})`;
}

/** The violation of a pending read as `kind`; `from` is the write whose content it returned, if known. */
export function violationOf(p: Pending, kind: SafetyViolationKind, from: Source | undefined): SafetyViolation {
  const crashNs = kind === 'lost-durable-write' ? p.cutCrash : undefined;
  const over = (kind === 'stale-read' || kind === 'lost-durable-write') && p.cut ? ref(p.cut) : undefined;
  const allowed = p.allowed.map(ref);
  const what = from ? fmtRef(ref(from))
    : kind === 'unknown-content' ? `content ${p.seen} that no write put there` : `content ${p.seen} of an older, overwritten write`;
  let message = `block ${p.block}: read #${p.readId} (issued ${t(p.readIssuedNs)}, completed ${t(p.readCompletedNs)}) returned ${what}`;
  if (over) message += `, overwritten by ${fmtRef(over)}`;
  if (crashNs !== undefined) message += ` which was durable before the crash at ${t(crashNs)}`;
  message += `; allowed: ${allowed.map(fmtRef).join('; ')}`;
  return {
    kind, block: p.block, readId: p.readId, readIssuedNs: p.readIssuedNs, readCompletedNs: p.readCompletedNs, seen: p.seen,
    allowed, overwrittenBy: over, crashNs, message,
  };
}
