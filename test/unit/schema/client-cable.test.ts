// The client's cable in the star fabric: the sum of the servers' cable rates, so a 10 GbE link is
// 10 GbE end to end (a faster client cable made the switch drop at the server's port).
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { machineConfigOf } from '../../../scenarios/runner/topology.ts';
import { buildWorld } from '../../../scenarios/runner/world.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';

const server = (name: string): string => `[[server]]\nname = "${name}"\n[[server.export]]\nname = "disk0"\nsize = "64MiB"\n`;
const link = (to: string, rate: string): string => `[[link]]\nbetween = ["client", "${to}"]\nrate = "${rate}"\n`;

function clientRate(text: string): number {
  const cfg = machineConfigOf(parseScenario(`[scenario]\nname = "cable"\n${text}`, 'cable.toml'));
  return cfg.hosts.find((h) => h.role === 'client')!.link.rateBps;
}

describe('client cable rate', () => {
  it('is the one server link rate', () => {
    expect(clientRate(server('a') + link('a', '10Gbit'))).toBe(10e9);
    expect(clientRate(server('a') + link('a', '1Gbit'))).toBe(1e9);
  });

  it('is the sum over servers, a server without a [[link]] counting 25 GbE', () => {
    const mirror = '[nbd]\nservers = [{ name = "a", export = "disk0" }, { name = "b", export = "disk0" }]\n'
      + 'exports = [{ name = "disk0", mode = "mirror" }]\n';
    expect(clientRate(server('a') + server('b') + link('a', '10Gbit') + link('b', '10Gbit') + mirror)).toBe(20e9);
    expect(clientRate(server('a') + server('b') + link('a', '10Gbit') + mirror)).toBe(35e9);
  });

  it('is capped by [machine] nic.rate', () => {
    expect(clientRate(`[machine]\nnic = { rate = "5Gbit" }\n${server('a')}${link('a', '10Gbit')}`)).toBe(5e9);
    expect(clientRate(`[machine]\nnic = { rate = "40Gbit" }\n${server('a')}${link('a', '10Gbit')}`)).toBe(10e9);
  });

  it('a 10 GbE sequential write over 4 connections drops nothing at the switch and retransmits nothing', () => {
    const text = `[scenario]\nname = "cable-write"\n${server('a')}${link('a', '10Gbit')}delay = "20us"\njitter = "1us"\n`
      + '[nbd]\nconnection_pool_size = 4\nlocal_cache_size = 0\nread_ahead_size = 0\n'
      + '[[job]]\nname = "w"\nrw = "write"\nbs = "128KiB"\niodepth = 32\nsize = "64MiB"\nruntime = "30ms"\n';
    const w = buildWorld(parseScenario(text, 'cable-write.toml'), 1, { trace: false });
    runWorld(w, 40_000_000);
    const sw = w.machine.fabric.switch;
    const drops = [0, 1].map((p) => sw.stats(p).drops);
    expect(drops).toEqual([0, 0]);
    expect(w.client.net.stats.tcpRetransSegs).toBe(0);
    // The run moved data: at 10 GbE, 30 ms carry at most 37.5 MB; a working write path moves most of it.
    expect(w.machine.host('a').nic.stats.rx.bytes).toBeGreaterThan(20e6);
  });
});
