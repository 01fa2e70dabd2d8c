/**
 * The server side of a scenario: on every server host, the NBD server program with its exports
 * on virtual disks, the scenario's static faults (EIO ranges, extra latency) armed.
 */
import type { CpuCosts } from '../../hw-sim/cpu/costs.ts';
import type { FaultRule } from '../../hw-sim/disk/faults.ts';
import { NbdServerProgram } from '../hosts/nbd-server/program.ts';
import type { Machine } from '../machine/machine.ts';
import type { EioRange, ServerSpec } from '../schema/types.ts';

export function startServers(machine: Machine, specs: readonly ServerSpec[], o: { traceRequests?: boolean; costs?: CpuCosts | undefined } = {}): Map<string, NbdServerProgram> {
  const out = new Map<string, NbdServerProgram>();
  for (const spec of specs) {
    const host = machine.host(spec.name);
    const prog = new NbdServerProgram(host, {
      port: spec.port,
      ...(o.traceRequests === false ? { traceRequests: false } : {}),
      ...(o.costs ? { costs: o.costs } : {}),
      ...(spec.tls ? { tls: spec.tls.required ? 'require' : 'optional', tlsKeys: [{ identity: spec.tls.identity, psk: spec.tls.pskHex }] } : {}),
      exports: spec.exports.map((e) => ({
        name: e.name, size: e.sizeBytes, disk: spec.disk, writeCache: spec.writeCache, readOnly: e.readOnly, prefill: e.prefill, multiConn: spec.multiConn,
        ...(e.allow ? { allow: e.allow } : {}), ...(e.readOnlyFor ? { readOnlyFor: e.readOnlyFor } : {}),
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
