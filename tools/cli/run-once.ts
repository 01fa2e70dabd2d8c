import { resolve } from 'node:path';
import { gitCommit } from '../trace/commit.ts';
import { closeSync } from 'node:fs';
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { RunOptions, RunResult, Runner } from '../../scenarios/runner/types.ts';
import type { Scenario } from '../../scenarios/schema/types.ts';
import { serialiseRecord } from '../../hw-sim/engine/trace.ts';
import { firstDifference } from '../trace/format.ts';
import { PcapBuilder } from '../trace/pcap.ts';
import { openOutput, TraceWriter, writeOutput } from '../trace/writer.ts';
import { InputError } from '../../drivers/nbd/config/errors.ts';
import { RunError } from './errors.ts';
import { runLive, type LiveOptions, type LiveOutcome } from './live.ts';
import { ReportCollector } from '../report/collect.ts';
import { reportData } from '../report/data.ts';
import { reportHtml } from '../report/html.ts';
import { replayCommand, variantOptions, type RunVariant } from './options.ts';

export interface RunOnceOptions extends RunVariant {
  seed: number;
  trace?: string | undefined;
  pcap?: string | undefined;
  /** Write the HTML run report here (`run --report`). */
  report?: string | undefined;
  version: string;
}

/**
 * Runs one seed with the file outputs (--trace, --pcap, --report) attached; with `live`, event by
 * event with progress and Ctrl-C (live.ts), which may end in a partial summary instead.
 */
export async function runOnce(runner: Runner, s: Scenario, o: RunOnceOptions, live?: LiveOptions): Promise<LiveOutcome> {
  const variant = variantOptions(o);
  const writer = o.trace === undefined ? undefined : new TraceWriter(o.trace, {
    // An absolute scenario path, so `replay` works from any directory; the commit says which code wrote it.
    orion_trace: 1, scenario: resolve(s.file), scenarioHash: s.hash, seed: o.seed, version: o.version, ...commitField(), ...variant,
  });
  const pcapFd = o.pcap === undefined ? undefined : openOutput(o.pcap);
  const pcap = pcapFd === undefined ? undefined : new PcapBuilder();
  const reportFd = o.report === undefined ? undefined : openOutput(o.report);
  const collector = reportFd === undefined ? undefined : new ReportCollector();
  const onTrace = writer && collector ? (r: TraceRecord) => { writer.write(r); collector.record(r); } : writer?.write ?? collector?.record;
  const opts: RunOptions = {
    ...variant,
    ...(onTrace ? { onTrace } : {}),
    ...(pcap ? { onPacket: (t: number, p: Uint8Array) => pcap.add(t, p) } : {}),
  };
  let r: RunResult;
  try {
    if (live && runner.openSession) {
      const out = await runLive(runner, s, o.seed, opts, live);
      if ('interrupted' in out) {
        if (reportFd !== undefined) closeSync(reportFd);
        return out;
      }
      r = out.result;
    } else r = runner.runScenario(s, o.seed, opts);
  } catch (e) {
    if (reportFd !== undefined) closeSync(reportFd);
    // The trace file filling up mid-run is the output's fault, not the simulation's.
    if (e instanceof InputError) throw e;
    throw new RunError(`the simulation threw at seed ${o.seed}: ${e instanceof Error ? e.message : String(e)}; replay: ${replayCommand(s.file, o.seed, o)}`);
  } finally {
    writer?.close();
    if (pcap && pcapFd !== undefined) {
      try {
        writeOutput(pcapFd, o.pcap!, pcap.toBuffer());
      } finally {
        closeSync(pcapFd);
      }
    }
  }
  if (collector && reportFd !== undefined) {
    try {
      writeOutput(reportFd, o.report!, reportHtml(reportData(collector, r, replayCommand(s.file, o.seed, o))));
    } finally {
      closeSync(reportFd);
    }
  }
  return { result: r };
}

/**
 * Runs a seed twice with every record kept; names the first record that differs, if any, and
 * returns the first run's result (a deterministic run can still fail its checks).
 */
export function checkDeterminism(runner: Runner, s: Scenario, seed: number, v: RunVariant): { diff: string | undefined; result: RunResult } {
  const runs: TraceRecord[][] = [[], []];
  const results: RunResult[] = [];
  for (const recs of runs) results.push(runner.runScenario(s, seed, { ...variantOptions(v), onTrace: (x) => recs.push(x) }));
  const [a, b] = results as [RunResult, RunResult];
  const i = firstDifference(runs[0]!, runs[1]!);
  if (i < 0 && a.digest === b.digest) return { diff: undefined, result: a };
  if (i < 0) return { diff: `the two runs emitted the same records but their digests differ (${a.digest} vs ${b.digest})`, result: a };
  const show = (r: TraceRecord | undefined) => (r ? serialiseRecord(r).trimEnd() : '(no record: the run ended)');
  return { diff: `record #${i} differs:\n  first run:  ${show(runs[0]![i])}\n  second run: ${show(runs[1]![i])}`, result: a };
}

function commitField(): { commit?: string } {
  const c = gitCommit();
  return c ? { commit: c } : {};
}
