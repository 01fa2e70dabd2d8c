/**
 * The safety and liveness checkers over every tapped device of a run (nbd0, ram0 …): each
 * device's history is checked on its own (block numbers are per device), the reports combined.
 * With several devices a violation's message names its device.
 */
import type { History } from '../checkers/history.ts';
import { checkLiveness, type LivenessReport } from '../checkers/liveness.ts';
import type { SafetyReport } from '../checkers/safety.ts';
import type { Ns, Scenario } from '../schema/types.ts';
import type { HistoryTap } from './history-tap.ts';

export interface Checked {
  readonly safety: SafetyReport;
  readonly liveness: LivenessReport | undefined;
  /** Every device's operations together (for error counts and recovery times, which need no block identity). */
  readonly history: History;
}

/** `stalled`: the run reached its deadline with work left (or threw): requests in flight are violations. */
export function checkDevices(s: Scenario, disks: ReadonlyMap<string, HistoryTap>, endNs: Ns, stalled = false): Checked {
  const per = [...disks].map(([device, tap]) => {
    const history = tap.history();
    const liveness = s.expect.livenessNs !== undefined
      ? checkLiveness(history, { lastHealNs: s.lastHealNs, limitNs: s.expect.livenessNs, endNs, stalled })
      : undefined;
    return { device, history, safety: tap.safetyReport(), liveness };
  });
  const only = per.length === 1 ? per[0] : undefined;
  if (only) return only;
  const named = <T extends { message: string }>(device: string, v: T): T => ({ ...v, message: `${device}: ${v.message}` });
  const safety: SafetyReport = {
    ok: per.every((p) => p.safety.ok),
    readsChecked: per.reduce((a, p) => a + p.safety.readsChecked, 0),
    blocksChecked: per.reduce((a, p) => a + p.safety.blocksChecked, 0),
    violations: per.flatMap((p) => p.safety.violations.map((v) => named(p.device, v))),
  };
  const liveness: LivenessReport | undefined = s.expect.livenessNs === undefined ? undefined : {
    ok: per.every((p) => p.liveness!.ok),
    checked: per.reduce((a, p) => a + p.liveness!.checked, 0),
    violations: per.flatMap((p) => p.liveness!.violations.map((v) => named(p.device, v))),
    undecided: per.flatMap((p) => p.liveness!.undecided),
    worstNs: per.reduce((a, p) => Math.max(a, p.liveness!.worstNs), 0),
  };
  const history: History = {
    blockSize: per[0]?.history.blockSize ?? 512,
    ops: per.flatMap((p) => p.history.ops),
    crashes: per.flatMap((p) => p.history.crashes),
  };
  return { safety, liveness, history };
}
