// Autocorking over the whole machine (NBD driver, kernel TCP, NICs with coalesced tx completions,
// the NBD server program), switched by the scenario key `tcp = { autocorking }` on each host.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../scenarios/runner/world.ts';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { Workload } from '../../../scenarios/workload/workload.ts';
import type { WorkloadReport } from '../../../scenarios/workload/report.ts';
import { scenarioRefusal } from '../schema/refusal.ts';

function scenario(autocorking: boolean): string {
  return `[scenario]
name = "autocork"
[machine]
cores = 4
irq_coalescing = { delay = "20us", frames = 16 }
tcp = { autocorking = ${autocorking} }
[[server]]
name = "a"
cores = 4
disk = "ram"
tcp = { autocorking = ${autocorking} }
[[server.export]]
name = "disk0"
size = "16MiB"
prefill = "pattern"
[nbd]
local_cache_size = 0
read_ahead_size = 0
connection_pool_size = 4
connection_max_count = 8
load_balancing = true
server_load_balancing = true
`;
}

interface Run {
  report: WorkloadReport;
  /** IP packets sent by both hosts during the job. */
  packets: number;
  autocorks: number;
}

/**
 * `fromJob`: the hosts connect with autocorking off and turn it on as the job starts (the
 * negotiation's back-to-back replies cork otherwise, so the job would start at another time).
 */
function run(autocorking: boolean, iodepth: number, ios: number, fromJob = false): Run {
  const w = buildWorld(parseScenario(scenario(autocorking && !fromJob), 'autocork.toml'), 1, { trace: false });
  const nbd = w.nbd!;
  const limit = w.engine.now + 1e9;
  while (!(nbd.device.state === 'ready' && nbd.device.conns.live === 4) && w.engine.now < limit) w.engine.step();
  const nets = [w.machine.host('client').net, w.machine.host('a').net];
  // Sockets read their stack's config object, so this acts on the open connections.
  if (fromJob) for (const n of nets) n.tcpConfig.autocorking = autocorking;
  const hosts = nets.map((n) => n.stats);
  const out0 = hosts.reduce((n, s) => n + s.ipOutPackets, 0);
  const corks0 = hosts.reduce((n, s) => n + s.tcpAutocorking, 0);
  let report: WorkloadReport | null = null;
  new Workload(w.client.kernel, nbd.disk, [{ name: 'r', rw: 'randread', bs: '4k', iodepth, ios }], {
    onDone: (r) => {
      report = r;
      w.engine.stop();
    },
  }).start();
  w.engine.run();
  w.release();
  expect(report).not.toBeNull();
  return {
    report: report!,
    packets: hosts.reduce((n, s) => n + s.ipOutPackets, 0) - out0,
    autocorks: hosts.reduce((n, s) => n + s.tcpAutocorking, 0) - corks0,
  };
}

describe('autocorking on the machine', () => {
  it('QD1: nothing of a socket is in the NIC when it sends, so no send waits: the same run on and off', () => {
    // A request leaves after the reply to the previous one arrived, one round trip (≥ 40 µs of
    // cable) after it was sent, and the tx interrupt reaps a packet within 20 µs: nothing left.
    const on = run(true, 1, 300, true);
    const off = run(false, 1, 300, true);
    expect(on.autocorks).toBe(0);
    expect(on.report.jobs[0]!.read.ios).toBe(300);
    expect(on.report.endNs).toBe(off.report.endNs);
    expect(on.report.jobs[0]!.read.lat).toEqual(off.report.jobs[0]!.read.lat);
    expect(on.packets).toBe(off.packets);
  });

  it('QD32 over four connections: sends gather while earlier packets wait in the NIC, so fewer packets cross', () => {
    const on = run(true, 32, 3000);
    const off = run(false, 32, 3000);
    expect(on.report.jobs[0]!.read.ios).toBe(3000);
    expect(off.autocorks).toBe(0);
    expect(on.autocorks).toBeGreaterThan(0);
    // Off, each request and each reply is at least one packet of its own unless a blk-mq batch
    // corked it with others: at least the 3000 replies cross alone (the server never corks).
    expect(off.packets).toBeGreaterThan(6000);
    expect(on.packets).toBeLessThan(off.packets);
  });

  it('the key is refused unless it is a boolean, naming where', () => {
    expect(scenarioRefusal(scenario(true).replace('tcp = { autocorking = true }', 'tcp = { autocorking = "yes" }'))).toMatch(/machine.*tcp.*autocorking/);
    expect(scenarioRefusal(scenario(true).replace('tcp = { autocorking = true }\n[[server]]', 'tcp = { autocork = true }\n[[server]]'))).toMatch(/autocork/);
  });
});
