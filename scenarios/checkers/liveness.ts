import type { Ns } from '../schema/types.ts';
import type { History, OpRecord } from './history.ts';
import { formatNsExact as t } from './units.ts';

export interface LivenessViolation {
  readonly opId: number;
  readonly kind: OpRecord['kind'];
  readonly issuedNs: Ns;
  /** Undefined: it never completed. */
  readonly completedNs: Ns | undefined;
  /** By when it had to complete: max(issue, last heal) + limit. */
  readonly deadlineNs: Ns;
  readonly message: string;
}

export interface LivenessReport {
  readonly ok: boolean;
  readonly checked: number;
  readonly violations: readonly LivenessViolation[];
  /** Requests still in flight at the end whose deadline lies after the end: the run was too short to tell. */
  readonly undecided: readonly number[];
  /**
   * The longest wait measured from max(issue, last heal) to completion (to the end for requests
   * never completed): the "actual" to set against the limit.
   */
  readonly worstNs: Ns;
}

export interface LivenessOptions {
  /** When the last fault healed (Scenario.lastHealNs). */
  readonly lastHealNs: Ns;
  /** N: every request completes (successfully or not) within this long after the last heal. */
  readonly limitNs: Ns;
  /** Virtual time the run ended. */
  readonly endNs: Ns;
  /**
   * The run ended at its deadline with work left (the runner advanced the clock to it): nothing
   * more will complete, so every request still in flight is a violation, never undecided.
   */
  readonly stalled?: boolean;
}

/**
 * Liveness: every request completes — with data or an error, but completes — by
 * max(its issue time, the last fault's heal time) + N. A request still in flight past its
 * deadline when the run ends is a violation; one whose deadline is after the end is undecided,
 * unless the run stalled (it ran to its deadline and nothing more could happen): then every
 * request in flight is a violation.
 */
export function checkLiveness(h: History, opts: LivenessOptions): LivenessReport {
  const violations: LivenessViolation[] = [];
  const undecided: number[] = [];
  let worst = 0;
  for (const op of h.ops) {
    const from = Math.max(op.issuedNs, opts.lastHealNs);
    const waited = (op.completedNs ?? opts.endNs) - from;
    if (waited > worst) worst = waited;
    const deadline = from + opts.limitNs;
    if (op.completedNs !== undefined && op.completedNs <= deadline) continue;
    if (op.completedNs === undefined && deadline >= opts.endNs && opts.stalled !== true) {
      undecided.push(op.id);
      continue;
    }
    const what = op.completedNs === undefined
      ? `was still in flight ${opts.stalled === true ? 'when the run stalled' : 'at the end'} (${t(opts.endNs)})`
      : `completed at ${t(op.completedNs)}`;
    violations.push({
      opId: op.id,
      kind: op.kind,
      issuedNs: op.issuedNs,
      completedNs: op.completedNs,
      deadlineNs: deadline,
      message: deadline < opts.endNs || op.completedNs !== undefined
        ? `${op.kind} #${op.id} issued at ${t(op.issuedNs)} ${what}, past its deadline ${t(deadline)} (last heal ${t(opts.lastHealNs)} + ${t(opts.limitNs)})`
        : `${op.kind} #${op.id} issued at ${t(op.issuedNs)} ${what}; nothing was left to complete it by its deadline ${t(deadline)}`,
    });
  }
  return { ok: violations.length === 0, checked: h.ops.length, violations, undecided, worstNs: worst };
}
