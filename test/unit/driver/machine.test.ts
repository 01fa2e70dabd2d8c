// The driver on the simulated machine: client host + NBD server host over the virtual fabric
// (scenarios/machine, scenarios/hosts/nbd-server), kernel TCP and blk-mq, built by the runner.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/load.ts';
import { buildWorld, type World } from '../../../scenarios/runner/index.ts';
import { resultOf, runWorld } from '../../../scenarios/runner/run.ts';

function scenario(extra: { nbd?: string; job?: string; at?: string; server?: string } = {}): string {
  return `
[scenario]
name = "driver-machine"
seeds = [1]

[machine]
cores = 2

[[server]]
name = "a"
disk = "nvme"
${extra.server ?? ''}

[[server.export]]
name = "disk0"
size = "16MiB"

[[link]]
between = ["client", "a"]
rate = "25Gbit"
delay = "20us"

[nbd]
connection_pool_size = 4
connection_timeout = "200ms"
dead_conn_timeout = "300ms"
request_timeout = "100ms"
${extra.nbd ?? ''}

[[job]]
name = "randrw"
rw = "randrw"
bs = "4KiB"
iodepth = 32
size = "8MiB"
rwmixread = 50
verify = true
${extra.job ?? 'ios = 1500\nfsync = 64'}

${extra.at ?? ''}

[expect]
safety = true
`;
}

/** Every scenario here has a server, so the world has an NBD device. */
type NbdWorld = World & { nbd: NonNullable<World['nbd']> };

function run(text: string, seed = 1): { w: NbdWorld; r: ReturnType<typeof resultOf> } {
  const w = buildWorld(parseScenario(text, 'driver-machine.toml'), seed);
  if (!w.nbd) throw new Error('scenario built no NBD device');
  runWorld(w);
  return { w: w as NbdWorld, r: resultOf(w) };
}

describe('NBD driver on the simulated machine', () => {
  it('verify randrw, iodepth 32, 4 connections: everything read back is what was written', () => {
    const { w, r } = run(scenario());
    expect(r.safetyViolations).toEqual([]);
    // 1500 reads and writes plus the fsync FLUSHes, none failed.
    expect(r.jobs[0]!.ios).toBeGreaterThanOrEqual(1500);
    expect(r.jobs[0]!.errors).toBe(0);
    const dev = w.nbd.device;
    expect(dev.conns.live).toBe(4);
    for (const c of dev.conns.slots) expect(c.repliesReceived).toBeGreaterThan(150);
    expect(r.passed).toBe(true);
  });

  it('same seed ⇒ same digest', () => {
    const a = run(scenario({ job: 'ios = 500' }), 7).r.digest;
    const b = run(scenario({ job: 'ios = 500' }), 7).r.digest;
    expect(a).toBe(b);
  });

  it('a connection reset mid-flight: its requests complete on the others, none lost, none twice', () => {
    const { w, r } = run(scenario({ at: '[[at]]\ntime = "2ms"\naction = "mgmt"\ncommand = ["nbd-connection-reset", "1"]' }));
    expect(r.safetyViolations).toEqual([]);
    expect(r.livenessViolations).toEqual([]);
    expect(r.jobs[0]!.ios).toBeGreaterThanOrEqual(1500);
    expect(r.jobs[0]!.errors).toBe(0);
    expect(w.nbd.device.errors.requeued).toBeGreaterThan(0);
    expect(w.nbd.device.conns.slots[1]!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('a malformed reply: that connection is hard-disconnected, requests requeued, the device stays up', () => {
    const { w, r } = run(scenario({ at: '[[at]]\ntime = "2ms"\naction = "malformed"\ntarget = "a"\ncount = 1\nkind = "bad-magic"' }));
    expect(r.safetyViolations).toEqual([]);
    expect(r.jobs[0]).toMatchObject({ errors: 0 });
    expect(w.nbd.device.errors.counts.protocol).toBeGreaterThanOrEqual(1);
    // The run ends when the job does; the dropped connection may still be in its backoff.
    expect(['ready', 'degraded']).toContain(w.nbd.device.state);
    expect(w.nbd.device.conns.live).toBeGreaterThanOrEqual(3);
  });

  it('server crash after FLUSH replies: every write acknowledged before a completed FLUSH survives the restart', () => {
    const { r } = run(scenario({ at: '[[at]]\ntime = "4ms"\naction = "crash"\ntarget = "a"\n\n[[at]]\ntime = "30ms"\naction = "restart"\ntarget = "a"' }));
    expect(r.safetyViolations).toEqual([]);
    expect(r.faults.length).toBe(2);
  });

  it('single connection, server gone past dead_conn_timeout: requests fail with EIO, then the device recovers', () => {
    const { w, r } = run(scenario({
      nbd: 'connection_retry_count = 2\nserver_health_check_interval = "1s"',
      job: 'ios = 4000\nfsync = 0',
      at: '[[at]]\ntime = "3ms"\naction = "crash"\ntarget = "a"\n\n[[at]]\ntime = "600ms"\naction = "restart"\ntarget = "a"',
    }).replace('connection_pool_size = 4', 'connection_pool_size = 1'));
    expect(r.jobs[0]!.errors).toBeGreaterThan(0);
    expect(w.nbd.device.errors.counts['dead-conn']).toBeGreaterThan(0);
    // Requests fail fast once dead_conn_timeout ran out, so the job may end before the server is
    // back; the next health check (every 1 s) revives the connection.
    w.engine.runUntil(w.engine.now + 2_000_000_000);
    expect(w.nbd.device.state).toBe('ready');
  });

  it('TLS-required server, wrong PSK: the device fails with a clear reason and no data moves', () => {
    const psk = (b: string): string => b.repeat(32);
    const { w, r } = run(scenario({
      server: `tls = { psk = "${psk('0f')}", identity = "orion", required = true }`,
      nbd: `connection_retry_count = 1\ntls = { psk = "${psk('f0')}", identity = "orion", required = true }`,
      job: 'ios = 50',
    }).replace('connection_pool_size = 4', 'connection_pool_size = 1'));
    const dev = w.nbd.device;
    expect(dev.state).toBe('failed');
    expect(dev.failureReason).toMatch(/^tls: .*PSK/);
    expect(dev.conns.slots.every((c) => c.requestsSent === 0)).toBe(true);
    expect(r.safetyViolations).toEqual([]);
  });
});
