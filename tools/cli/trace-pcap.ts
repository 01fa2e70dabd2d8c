import { ScenarioError } from '../../scenarios/schema/errors.ts';
import { loadScenario } from '../../scenarios/schema/load.ts';
import { traceDigest, type TraceFile } from '../trace/format.ts';
import { PcapBuilder } from '../trace/pcap.ts';
import type { CliContext } from './context.ts';
import { RunError } from './errors.ts';

/**
 * The packets of a traced run as pcap. A trace holds no packet bytes (they would dwarf it), but
 * its header names scenario, seed and variant, and the run is deterministic: run it again with
 * the wire tap on, and prove by the digest that it is the same run.
 */
export async function pcapOfTrace(ctx: CliContext, t: TraceFile, file: string): Promise<Buffer> {
  const h = t.header;
  const s = loadScenario(h.scenario);
  if (s.hash !== h.scenarioHash) {
    throw new ScenarioError(file, 'scenarioHash', `${h.scenario} has changed since the trace was written, so its packets cannot be reproduced (capture with \`run --pcap FILE\`)`, 1);
  }
  const runner = await ctx.loadRunner();
  const pcap = new PcapBuilder();
  const r = runner.runScenario(s, h.seed, {
    onPacket: (at, p) => pcap.add(at, p),
    ...(h.swarm ? { swarm: true } : {}),
    ...(h.untilNs !== undefined ? { untilNs: h.untilNs } : {}),
    ...(h.faultInjection !== undefined ? { faultInjection: h.faultInjection } : {}),
  });
  const want = traceDigest(t.records);
  if (r.digest !== want) throw new RunError(`re-running ${h.scenario} seed ${h.seed} gave digest ${r.digest}, the trace has ${want}: not the same run, so no pcap (capture with \`run --pcap FILE\`)`);
  if (pcap.count === 0) throw new RunError(`${file}: the run sent no packets`);
  return pcap.toBuffer();
}

/** A trace whose records carry packet bytes (`data.wire`) exports them as they are. */
export function hasWireBytes(t: TraceFile): boolean {
  return t.records.some((r) => typeof r.data?.['wire'] === 'string');
}
