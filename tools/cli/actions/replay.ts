import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { gitCommit } from '../../trace/commit.ts';
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';
import { serialiseRecord } from '../../../hw-sim/engine/trace.ts';
import { ScenarioError } from '../../../scenarios/schema/errors.ts';
import { InputError } from '../../../drivers/nbd/config/errors.ts';
import { loadScenario } from '../../../scenarios/schema/load.ts';
import { firstDifference, readTrace, traceDigest } from '../../trace/format.ts';
import type { CliContext } from '../context.ts';
import { EXIT_FAILED, EXIT_OK, RunError } from '../errors.ts';

/** `replay`: re-run from the trace header and compare every record and the digest. */
export async function replay(ctx: CliContext, file: string): Promise<number> {
  const t = readTrace(file);
  const h = t.header;
  // Relative paths of older traces: from here, else from the trace's directory.
  const path = isAbsolute(h.scenario) || existsSync(h.scenario) ? h.scenario : join(dirname(file), h.scenario);
  const s = loadScenario(path);
  const commit = gitCommit();
  if (h.commit !== undefined && commit !== undefined && h.commit !== commit) ctx.io.stderr(`orion-sim: warning: trace written at commit ${h.commit.slice(0, 12)}, this is ${commit.slice(0, 12)}; records may differ\n`);
  if (s.hash !== h.scenarioHash) {
    throw new ScenarioError(file, 'scenarioHash', `${h.scenario} has changed since the trace was written (hash ${s.hash.slice(0, 12)}…, trace says ${h.scenarioHash.slice(0, 12)}…)`, 1);
  }
  if (h.version !== ctx.version) ctx.io.stderr(`orion-sim: warning: trace written by version ${h.version}, this is ${ctx.version}; records may differ\n`);
  const runner = await ctx.loadRunner();
  const records: TraceRecord[] = [];
  let result;
  try {
    result = runner.runScenario(s, h.seed, {
      onTrace: (r) => records.push(r),
      ...(h.swarm ? { swarm: true } : {}),
      ...(h.untilNs !== undefined ? { untilNs: h.untilNs } : {}),
      ...(h.faultInjection !== undefined ? { faultInjection: h.faultInjection } : {}),
    });
  } catch (e) {
    throw new RunError(`the replay threw after ${records.length} records: ${e instanceof Error ? e.message : String(e)}`);
  }
  const want = traceDigest(t.records);
  const i = firstDifference(t.records, records);
  // A run's last record is run.end (scenarios/runner/run.ts): a file that stops short of it where
  // the replay goes on was cut off (a copy, a full disk), which is the file's fault, not a divergence.
  if (i === t.records.length && t.records.at(-1)?.kind !== 'run.end') {
    throw new InputError(file, '', `truncated: it ends after record #${i - 1} without the run's run.end record (the replay has ${records.length} records)`);
  }
  if (i < 0 && result.digest === want) {
    ctx.io.stdout(`replay ok: ${records.length} records, digest ${want}\n`);
    return EXIT_OK;
  }
  const show = (r: TraceRecord | undefined) => (r ? serialiseRecord(r).trimEnd() : '(none: it ended here)');
  ctx.io.stdout(
    i >= 0
      ? `replay DIVERGED at record #${i}:\n  trace:  ${show(t.records[i])}\n  replay: ${show(records[i])}\n`
      : `replay DIVERGED: same records but digest ${result.digest} ≠ ${want}\n`,
  );
  return EXIT_FAILED;
}
