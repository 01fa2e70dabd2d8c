import { normaliseSwarm } from './swarm.ts';
import { addressProblem } from './address.ts';
import { createHash } from 'node:crypto';
import { ConfigError, formatKeyPath } from '../../drivers/nbd/config/errors.ts';
import { firstProblem } from '../../drivers/nbd/config/issues.ts';
import { nbdConfigFromTable } from '../../drivers/nbd/config/load.ts';
import { readInputText } from './read.ts';
import { locateKey, parseToml } from './toml.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';
import { scenarioDocumentSchema, type ScenarioDocument } from './document.ts';
import { ScenarioError } from './errors.ts';
import { lastHealTime } from './heal.ts';
import { normaliseExpect, normaliseVolumes, normaliseJobs, normaliseLinks, normaliseMachine, normaliseServers, normaliseTimeline, RefProblem } from './normalise.ts';
import { CLIENT_HOST, type Scenario, type ServerSpec } from './types.ts';
import { nbdDeviceGroups } from './devices.ts';
import { mixedAddedServer, mixedServedBackend } from './backend.ts';

/** Without `[nbd] servers`, the driver attaches the first export of every [[server]]. */
function nbdSection(doc: ScenarioDocument): Record<string, unknown> {
  const section: Record<string, unknown> = { ...(doc.nbd ?? {}) };
  if (section['servers'] === undefined) {
    section['servers'] = doc.server.map((s) => ({ name: s.name, port: s.port, export: s.export[0]!.name }));
  } else if (Array.isArray(section['servers'])) {
    // An entry without an export (or "") takes the server's default export, its first, as the
    // server program answers NBD_OPT_GO with an empty name: named here, so devices, sizes and the
    // checkers' initial content all see the export it is.
    section['servers'] = section['servers'].map((e: unknown) => {
      if (typeof e !== 'object' || e === null) return e;
      const entry = e as Record<string, unknown>;
      const host = doc.server.find((h) => h.name === entry['name']);
      return (entry['export'] === undefined || entry['export'] === '') && host ? { ...entry, export: host.export[0]!.name } : e;
    });
  }
  return section;
}

function checkNbdServers(nbd: NbdConfig, servers: readonly ServerSpec[]): void {
  nbd.servers.forEach((s, i) => {
    const host = servers.find((h) => h.name === s.name);
    if (!host) throw new RefProblem(['nbd', 'servers', i, 'name'], `no [[server]] named "${s.name}"`);
    if (!host.exports.some((e) => e.name === s.export)) {
      throw new RefProblem(['nbd', 'servers', i, 'export'], `server "${s.name}" has no export "${s.export}"`);
    }
  });
  const mixed = mixedServedBackend(nbd, servers);
  if (mixed) throw new RefProblem(['nbd', 'servers', mixed.index], mixed.reason);
}

/** Size of device nbdK: the export it maps to, as served by the first server that has it. */
function deviceSizes(nbd: NbdConfig, servers: readonly ServerSpec[]): (device: string) => number | undefined {
  return (device) => {
    const exp = nbd.exports.find((e, k) => (e.device ?? `nbd${k}`) === device);
    if (!exp) return undefined;
    const via = nbd.servers.find((s) => s.export === exp.name);
    const host = via && servers.find((h) => h.name === via.name);
    return host?.exports.find((e) => e.name === exp.name)?.sizeBytes;
  };
}

function build(doc: ScenarioDocument, file: string, text: string): Scenario {
  const volumes = normaliseVolumes(doc);
  const servers = normaliseServers(doc, volumes);
  const nbd = nbdConfigFromTable(nbdSection(doc), { file, locate: (path) => locateKey(text, path), at: ['nbd'] });
  checkNbdServers(nbd, servers);
  const hosts = new Set([CLIENT_HOST, ...servers.map((s) => s.name)]);
  // No [[link]] at all: every server gets a default link to the client.
  const linkDoc = doc.link.length > 0 ? doc : { ...doc, link: servers.map((s) => defaultLink(s.name)) };
  const links = normaliseLinks(linkDoc, hosts);
  nbd.servers.forEach((x, i) => {
    const bad = x.address === undefined ? undefined : addressProblem(x.address, servers.map((v) => v.name));
    if (bad) throw new RefProblem(['nbd', 'servers', i, 'address'], bad);
  });
  // The client asks for 1472-byte datagrams (drivers/nbd/protocol/udp-option.ts): they need a 1500-byte MTU.
  const narrow = links.findIndex((l) => l.mtu < 1500);
  if (nbd.udpEnabled && narrow >= 0) {
    throw new RefProblem(['link', narrow, 'mtu'], `${links[narrow]!.mtu} with [nbd] udp_enabled: the UDP transport's datagrams (1472 bytes) need an MTU of at least 1500 (not built: datagrams sized by the MTU)`);
  }
  // Only a drawn disk-error fault reads disk_errors, and the default kinds have none (runner/swarm.ts).
  if (doc.swarm?.disk_errors && !doc.swarm.fault_kinds?.includes('disk-error')) {
    throw new RefProblem(['swarm', 'disk_errors'], 'only a disk-error fault uses disk_errors: add "disk-error" to fault_kinds (it is not among the default kinds), or remove disk_errors');
  }
  // A swarm rate above every link's could never be drawn (runner/swarm-shape.ts draws rates at or below the link's).
  const fastest = Math.max(...links.map((l) => l.rateBps));
  const tooFast = doc.swarm?.rates?.findIndex((r) => r > fastest) ?? -1;
  if (tooFast >= 0) throw new RefProblem(['swarm', 'rates', tooFast], `${doc.swarm!.rates![tooFast]! / 1e9} Gbit/s is above every link's rate (fastest ${fastest / 1e9} Gbit/s): a swarm draws link rates at or below the file's`);
  const devices = nbdDeviceGroups(nbd).map((g) => g.device);
  const timeline = normaliseTimeline(doc.at, servers, links, devices, volumes);
  const added = mixedAddedServer(timeline, nbd, servers);
  if (added) throw new RefProblem(['at', added.index, 'command'], added.reason);
  const jobs = normaliseJobs(doc, deviceSizes(nbd, servers));
  const expect = normaliseExpect(doc.expect, jobs, devices);
  if (expect.backupStandbyNs !== undefined && !nbd.servers.some((x) => x.role === 'backup')) {
    throw new RefProblem(['expect', 'backup_standby'], 'no [nbd] server has role = "backup"');
  }
  const lastHealNs = lastHealTime(timeline);
  if (expect.livenessNs !== undefined && lastHealNs === undefined) {
    throw new RefProblem(['expect', 'liveness'], 'a fault in [[at]] never heals (crash without restart, partition without heal or duration), so liveness cannot be checked');
  }
  return {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    name: doc.scenario.name,
    description: doc.scenario.description,
    seeds: doc.scenario.seeds,
    machine: normaliseMachine(doc.machine),
    servers,
    volumes,
    links,
    nbd,
    jobs,
    timeline,
    lastHealNs: lastHealNs ?? 0,
    expect,
    ...(doc.swarm ? { swarm: normaliseSwarm(doc.swarm)! } : {}),
  };
}

function defaultLink(server: string): ScenarioDocument['link'][number] {
  return { name: undefined, between: [CLIENT_HOST, server], rate: 25e9, delay: 20_000, jitter: 0, loss: 0, duplicate: 0, reorder: 0, corrupt: 0, reorder_delay: 30_000, mtu: 1500 };
}

/**
 * Validates scenario TOML text into a normalised Scenario. Throws ScenarioError (file, key path
 * such as `at[2].target`, reason, line when known) for syntax, schema and reference problems.
 */
export function parseScenario(text: string, file: string): Scenario {
  const parsed = parseToml(text);
  if (!parsed.ok) throw new ScenarioError(file, '', parsed.reason, parsed.line, parsed.column);
  const r = scenarioDocumentSchema.safeParse(parsed.doc);
  if (!r.success) {
    const p = firstProblem(r.error, parsed.doc);
    throw new ScenarioError(file, formatKeyPath(p.path), p.reason, locateKey(text, p.path));
  }
  try {
    return build(r.data, file, text);
  } catch (e) {
    if (e instanceof RefProblem) throw new ScenarioError(file, formatKeyPath(e.path), e.reason, locateKey(text, e.path));
    if (e instanceof ConfigError) throw new ScenarioError(e.file, e.keyPath, e.reason, e.line, e.column);
    throw e;
  }
}

/** Reads and validates a scenario file (tools only: the simulation path reads no files). */
export function loadScenario(path: string): Scenario {
  return parseScenario(readInputText(path, (reason) => new ScenarioError(path, '', reason)), path);
}
