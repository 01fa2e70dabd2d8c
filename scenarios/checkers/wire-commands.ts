/**
 * `[expect] wire_commands`: what the servers received, from their own counters (trace or not),
 * against what the client's block devices were given. Merging shows as fewer NBD commands on
 * the wire than bios submitted; FUA and WRITE_ZEROES as their commands on the wire.
 */
import type { ExpectationResult } from '../runner/types.ts';
import type { Expectations } from '../schema/types.ts';

export interface WireTally {
  /** Transmission commands the servers received (DISC not counted). */
  readonly commands: number;
  readonly fuaWrites: number;
  readonly writeZeroes: number;
  /** Bios submitted to the client's NBD devices (reads, writes, flushes, trims, zeroes). */
  readonly bios: number;
}

export function wireCommandVerdicts(e: Expectations, t: WireTally): ExpectationResult[] {
  const w = e.wireCommands;
  if (!w) return [];
  const out: ExpectationResult[] = [];
  if (w.merged) {
    out.push({
      name: 'wire_commands.merged', ok: t.commands > 0 && t.commands < t.bios, actual: `${t.commands} NBD commands for ${t.bios} bios`,
      limit: 'fewer NBD commands on the wire than bios submitted',
    });
  }
  if (w.fua !== undefined) out.push({ name: 'wire_commands.fua', ok: t.fuaWrites >= w.fua, actual: t.fuaWrites, limit: w.fua, unit: 'count' });
  if (w.writeZeroes !== undefined) {
    out.push({ name: 'wire_commands.write_zeroes', ok: t.writeZeroes >= w.writeZeroes, actual: t.writeZeroes, limit: w.writeZeroes, unit: 'count' });
  }
  return out;
}
