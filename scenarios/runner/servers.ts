/**
 * The server side of a scenario: on every server host, the NBD server program with its exports
 * on virtual disks, the scenario's static faults (EIO ranges, extra latency) armed.
 */
import type { CpuCosts } from '../../hw-sim/cpu/costs.ts';
import type { FaultRule } from '../../hw-sim/disk/faults.ts';
import { NbdServerProgram } from '../hosts/nbd-server/program.ts';
import type { Machine } from '../machine/machine.ts';
import type { EioRange, ServerSpec, VolumeSpec } from '../schema/types.ts';
import { SharedVolume } from '../../hw-sim/disk/shared-volume.ts';
import { describeBackend } from '../../drivers/nbd/config/backend.ts';

function volumeOf(volumes: ReadonlyMap<string, SharedVolume> | undefined, name: string): SharedVolume {
  const v = volumes?.get(name);
  if (!v) throw new Error(`no volume '${name}' was built`);
  return v;
}

/** Builds every `[[volume]]` (its own power domain: no host owns it). */
export function buildVolumes(machine: Machine, specs: readonly VolumeSpec[]): Map<string, SharedVolume> {
  const out = new Map<string, SharedVolume>();
  for (const v of specs) {
    out.set(v.name, new SharedVolume(machine.engine, {
      name: `volume/${v.name}`, size: v.sizeBytes, model: v.disk, writeCache: v.writeCache, prefill: v.prefill,
    }));
  }
  return out;
}

/** A crash of this server loses data of an export (its own disk); a shared volume's is not its to lose. */
export function crashLosesData(spec: ServerSpec): boolean {
  return spec.exports.some((e) => e.volume === undefined);
}

export function startServers(
  machine: Machine, specs: readonly ServerSpec[], o: { traceRequests?: boolean; costs?: CpuCosts | undefined; volumes?: ReadonlyMap<string, SharedVolume> } = {},
): Map<string, NbdServerProgram> {
  const out = new Map<string, NbdServerProgram>();
  for (const spec of specs) {
    const host = machine.host(spec.name);
    const prog = new NbdServerProgram(host, {
      port: spec.port,
      ...(spec.udp === false ? { udp: false } : {}),
      ...(o.traceRequests === false ? { traceRequests: false } : {}),
      ...(o.costs ? { costs: o.costs } : {}),
      ...(spec.tls ? { tls: spec.tls.required ? 'require' : 'optional', tlsKeys: [{ identity: spec.tls.identity, psk: spec.tls.pskHex }] } : {}),
      // The description advertises the export's backend identity (drivers/nbd/config/backend.ts).
      exports: spec.exports.map((e) => ({
        name: e.name, size: e.sizeBytes, disk: spec.disk, writeCache: spec.writeCache, readOnly: e.readOnly, prefill: e.prefill, multiConn: spec.multiConn,
        ...(e.allow ? { allow: e.allow } : {}), ...(e.readOnlyFor ? { readOnlyFor: e.readOnlyFor } : {}),
        description: describeBackend(e.backend), ...(e.volume !== undefined ? { volume: volumeOf(o.volumes, e.volume) } : {}),
      })),
    });
    for (const r of spec.faults.eio) addEio(prog, r);
    if (spec.faults.extraLatencyNs > 0) prog.server.faults.delayNs = spec.faults.extraLatencyNs;
    prog.start();
    out.set(spec.name, prog);
  }
  return out;
}

/** Arms an EIO/ENOSPC range on an export's disk; returns a function that disarms it. */
export function addEio(prog: NbdServerProgram, r: Pick<EioRange, 'export' | 'offsetBytes' | 'lengthBytes' | 'ops' | 'rate' | 'error'>): () => void {
  const disk = prog.disks.get(r.export) ?? [...prog.disks.values()][0];
  if (!disk) throw new Error(`${prog.host.name}: no export '${r.export}' for an EIO range`);
  const rule: FaultRule = { error: r.error, from: r.offsetBytes, to: r.offsetBytes + r.lengthBytes, rate: r.rate };
  if (r.ops.length > 0) rule.ops = r.ops;
  const id = disk.faults.add(rule);
  return () => { disk.faults.remove(id); };
}
