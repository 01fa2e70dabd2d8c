// The driver never mixes backends: a device over servers of different stores is refused with
// both named — in the [nbd] config, in a scenario (what each export really is), in the timeline's
// nbd-server-add, at nbd-server-add run time, and on the wire (the export description).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendGuard, backendOfDescription, describeBackend } from '../../../drivers/nbd/config/backend.ts';
import { nbdConfigFromTable } from '../../../drivers/nbd/config/load.ts';
import { ConfigError } from '../../../drivers/nbd/config/errors.ts';
import { buildWorld, runner, runScenario } from '../../../scenarios/runner/index.ts';
import { runMgmtCommand } from '../../../scenarios/runner/mgmt.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';
import { cli, scratch } from '../cli/harness.ts';

function scenario(o: { volume?: boolean; nbd?: string; at?: string; extraServer?: string } = {}): string {
  const exp = (name: string) => o.volume ? `[[server.export]]\nname = "disk0"\nvolume = "v0"\n` : `[[server.export]]\nname = "disk0"\nsize = "4MiB"\n# ${name}\n`;
  return `[scenario]
name = "backend"
${o.volume ? '[[volume]]\nname = "v0"\nsize = "4MiB"\n' : ''}
[[server]]
name = "a"
${exp('a')}
[[server]]
name = "b"
${exp('b')}
${o.extraServer ?? ''}
[nbd]
connection_pool_size = 1
${o.nbd ?? ''}
[[job]]
name = "w"
rw = "randwrite"
bs = "4KiB"
ios = 20
verify = true
${o.at ?? ''}
`;
}

function refusal(text: string): ScenarioError {
  try {
    parseScenario(text, 's.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected the scenario to be refused');
}

describe('backend identity', () => {
  it('is carried as a backend=ID token of the export description', () => {
    expect(describeBackend('volume/v0')).toBe('backend=volume/v0');
    expect(describeBackend('x', 'fast disk')).toBe('fast disk backend=x');
    expect(backendOfDescription('fast disk backend=x')).toBe('x');
    expect(backendOfDescription('no identity here')).toBeUndefined();
    expect(backendOfDescription('')).toBeUndefined();
  });

  it('the device guard learns the first identity and refuses another, naming both', () => {
    const g = new BackendGuard('nbd0', undefined);
    expect(g.admit('a', undefined, undefined)).toBe('');
    expect(g.admit('a', undefined, 'v1')).toBe('');
    expect(g.backend).toBe('v1');
    expect(g.admit('b', undefined, 'v1')).toBe('');
    const r = g.admit('c', undefined, 'v2');
    expect(r).toContain('server "c" serves backend "v2"');
    expect(r).toContain('server "a" serves "v1"');
    // A server whose advertisement contradicts its own configuration is refused too.
    expect(new BackendGuard('nbd0', undefined).admit('d', 'v1', 'v9')).toContain('"v9"');
    expect(g.conflict('e', 'v2')).toContain('server "e" serves backend "v2"');
    expect(g.conflict('e', undefined)).toBe('');
  });

  it('[nbd] servers with different configured backends on one device: ConfigError naming both', () => {
    const table = {
      servers: [{ name: 'a', export: 'd', backend: 'v1' }, { name: 'b', export: 'd', backend: 'v2' }],
    };
    let err: unknown;
    try {
      nbdConfigFromTable(table, { file: 'c.toml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe('nbd.servers[1].backend');
    expect((err as ConfigError).reason).toMatch(/server "b" serves backend "v2" but server "a" serves "v1"/);
    // Different exports are different devices (nbd0, nbd1): no mixing.
    expect(() => nbdConfigFromTable({ servers: [{ name: 'a', export: 'd', backend: 'v1' }, { name: 'b', export: 'e', backend: 'v2' }] }, { file: 'c.toml' }))
      .not.toThrow();
    // The device's backend binds every server.
    expect(() => nbdConfigFromTable({ backend: 'v1', servers: [{ name: 'a', export: 'd', backend: 'v2' }] }, { file: 'c.toml' }))
      .toThrow(/\[nbd\] backend serves "v1"/);
  });

  it('a scenario device over two servers\' own disks is refused; over one shared volume it loads', () => {
    const e = refusal(scenario());
    expect(e.keyPath).toBe('nbd.servers[1]');
    expect(e.reason).toMatch(/server "b" serves backend "b\/disk0" but server "a" serves "a\/disk0"/);
    const s = parseScenario(scenario({ volume: true }), 's.toml');
    expect(s.servers.map((x) => x.exports[0]!.backend)).toEqual(['volume/v0', 'volume/v0']);
    // A configured backend must be what the servers serve.
    expect(refusal(scenario({ volume: true, nbd: 'backend = "volume/v9"' })).reason).toMatch(/serves backend "volume\/v0"/);
  });

  it('a timeline nbd-server-add of a server with another store is refused at load', () => {
    const c = '[[server]]\nname = "c"\n[[server.export]]\nname = "disk0"\nsize = "4MiB"\n';
    const at = '[[at]]\ntime = "1ms"\naction = "mgmt"\ncommand = "nbd-server-add c 10809 disk0"\n';
    const e = refusal(scenario({ volume: true, extraServer: c, at, nbd: 'servers = [{ name = "a", export = "disk0" }, { name = "b", export = "disk0" }]' }));
    expect(e.keyPath).toBe('at[0].command');
    expect(e.reason).toMatch(/server "c" serves backend "c\/disk0" but server "a" serves "volume\/v0"/);
  });

  it('`orion-sim validate` exits 2 naming both servers and both backends', async () => {
    const dir = scratch({ 'mixed.toml': scenario() });
    const r = await cli(['validate', join(dir, 'mixed.toml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nbd\.servers\[1\]: nbd0 would mix backends: server "b" serves backend "b\/disk0" but server "a" serves "a\/disk0"/);
  });

  it('`orion-sim mgmt … nbd-server-add` with another BACKEND exits 2 naming both', async () => {
    const file = join(import.meta.dirname, '../../../scenarios/multi-backup-failover.toml');
    const r = await cli(['mgmt', '--at', '5ms', file, 'nbd-server-add', 'spare', '10809', 'vol', '-', 'volume/other'], { runner });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nbd0 would mix backends: server "spare" serves backend "volume\/other" but server "primary" serves "volume\/v0"/);
  });

  it('at run time: nbd-server-add with another BACKEND is refused, and a server advertising another store never carries I/O', () => {
    const c = '[[server]]\nname = "c"\n[[server.export]]\nname = "disk0"\nsize = "4MiB"\n';
    const s = parseScenario(scenario({ volume: true, extraServer: c, nbd: 'servers = [{ name = "a", export = "disk0" }, { name = "b", export = "disk0" }]' }), 's.toml');
    const w = buildWorld(s, 1, { trace: false });
    w.engine.runUntil(5_000_000);
    const dev = w.nbd!.device;
    expect(dev.backends.backend).toBe('volume/v0');
    expect(() => runMgmtCommand(dev, w.client.kernel, ['nbd-server-add', 'c', '10809', 'disk0', '-', 'volume/other']))
      .toThrow(/nbd-server-add: nbd0 would mix backends: server "c" serves backend "volume\/other" but server "a" serves "volume\/v0"/);
    // Added without a BACKEND: its handshake advertises backend=c/disk0, so its connection is refused.
    runMgmtCommand(dev, w.client.kernel, ['nbd-server-add', 'c', '10809', 'disk0']);
    w.engine.runUntil(50_000_000);
    const cIndex = dev.conns.servers.findIndex((x) => x.cfg.name === 'c');
    const cConns = dev.conns.slots.filter((x) => x.server === cIndex);
    expect(cConns.length).toBeGreaterThan(0);
    expect(cConns.every((x) => !x.usable && x.requestsSent === 0)).toBe(true);
    expect(cConns.some((x) => /would mix backends/.test(x.lastReason))).toBe(true);
    expect(dev.errors.counts['handshake']).toBeGreaterThan(0);
    expect(['ready', 'degraded']).toContain(dev.state);
  });
});

describe('a server that comes back serving another store (re-export)', () => {
  const FILE = join(import.meta.dirname, '../../../scenarios/multi-re-export.toml');

  it('is refused on the wire (nbd-server-info says why) and the device goes on over the other server without an error', () => {
    const r = runScenario(loadScenario(FILE), 1, { trace: false });
    expect(r.passed).toBe(true);
    const info = r.mgmt.find((m) => m.command[0] === 'nbd-server-info')!;
    const b = (info.data as Record<string, unknown>[]).find((x) => x['name'] === 'b')!;
    expect(b['health']).toBe('refused');
    expect(b['down_reason']).toMatch(/server "b" serves backend "volume\/v1" but server "a" serves "volume\/v0"/);
  });

  it('the re-export names a volume of the export\'s size', () => {
    const text = readFileSync(FILE, 'utf8');
    expect(() => parseScenario(text.replace('volume = "v1"\n\n[[at]]', 'volume = "v9"\n\n[[at]]'), 'r.toml')).toThrow(/at\[0\]\.volume: no \[\[volume\]\] named "v9"/);
    expect(() => parseScenario(text.replace('name = "v1"\nsize = "16MiB"', 'name = "v1"\nsize = "8MiB"'), 'r.toml'))
      .toThrow(/at\[0\]\.volume: volume "v1" has 8388608 bytes, export "vol" 16777216/);
  });
});
