import { closeSync, writeFileSync } from 'node:fs';
import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { RunOptions, RunResult, Runner } from '../../scenarios/runner/types.ts';
import type { Scenario } from '../../scenarios/schema/types.ts';
import { serialiseRecord } from '../../hw-sim/engine/trace.ts';
import { firstDifference } from '../trace/format.ts';
import { PcapBuilder } from '../trace/pcap.ts';
import { openOutput, TraceWriter } from '../trace/writer.ts';
import { RunError } from './errors.ts';
import { replayCommand } from './options.ts';

export interface RunOnceOptions {
  seed: number;
  untilNs?: number;
  trace?: string;
  pcap?: string;
  swarm?: boolean;
  version: string;
}

/** Runs one seed with the file outputs (--trace, --pcap) attached. */
export function runOnce(runner: Runner, s: Scenario, o: RunOnceOptions): RunResult {
  const writer = o.trace === undefined ? undefined : new TraceWriter(o.trace, {
    orion_trace: 1, scenario: s.file, scenarioHash: s.hash, seed: o.seed, version: o.version,
    ...(o.swarm ? { swarm: true } : {}), ...(o.untilNs !== undefined ? { untilNs: o.untilNs } : {}),
  });
  const pcapFd = o.pcap === undefined ? undefined : openOutput(o.pcap);
  const pcap = pcapFd === undefined ? undefined : new PcapBuilder();
  const opts: RunOptions = {
    ...(o.untilNs !== undefined ? { untilNs: o.untilNs } : {}),
    ...(writer ? { onTrace: writer.write } : {}),
    ...(pcap ? { onPacket: (t: number, p: Uint8Array) => pcap.add(t, p) } : {}),
    ...(o.swarm ? { swarm: true } : {}),
  };
  let result: RunResult;
  try {
    result = runner.runScenario(s, o.seed, opts);
  } catch (e) {
    throw new RunError(`the simulation threw at seed ${o.seed}: ${e instanceof Error ? e.message : String(e)}; replay: ${replayCommand(s.file, o.seed, o.swarm, o.untilNs)}`);
  } finally {
    writer?.close();
    if (pcap && pcapFd !== undefined) {
      writeFileSync(pcapFd, pcap.toBuffer());
      closeSync(pcapFd);
    }
  }
  return result;
}

/** Runs a seed twice with every record kept; names the first record that differs, if any. */
export function checkDeterminism(runner: Runner, s: Scenario, seed: number, swarm: boolean, untilNs?: number): string | undefined {
  const runs: TraceRecord[][] = [[], []];
  const digests: string[] = [];
  for (const recs of runs) {
    const r = runner.runScenario(s, seed, { onTrace: (x) => recs.push(x), ...(swarm ? { swarm } : {}), ...(untilNs !== undefined ? { untilNs } : {}) });
    digests.push(r.digest);
  }
  const i = firstDifference(runs[0]!, runs[1]!);
  if (i < 0 && digests[0] === digests[1]) return undefined;
  if (i < 0) return `the two runs emitted the same records but their digests differ (${digests[0]} vs ${digests[1]})`;
  const show = (r: TraceRecord | undefined) => (r ? serialiseRecord(r).trimEnd() : '(no record: the run ended)');
  return `record #${i} differs:\n  first run:  ${show(runs[0]![i])}\n  second run: ${show(runs[1]![i])}`;
}
