import type { ClientIdentity, ServerConfig, ServerExport } from './types.ts';

/** Default maximum payload when an export sets no block sizes (proto.md: 32 MiB). */
export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;

/** Validates a server configuration; throws with the export and field at fault. */
export function validateServerConfig(cfg: ServerConfig): void {
  if (cfg.exports.length === 0) throw new RangeError('server config: at least one export is required');
  const seen = new Set<string>();
  for (const [i, e] of cfg.exports.entries()) {
    const where = `server config: exports[${i}] ('${e.name}')`;
    if (seen.has(e.name)) throw new RangeError(`${where}: duplicate export name`);
    seen.add(e.name);
    if (new TextEncoder().encode(e.name).length > 4096) throw new RangeError(`${where}: name longer than 4096 bytes`);
    const b = e.blockSize;
    if (b) {
      const pow2 = (v: number) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;
      if (!pow2(b.min) || b.min > 65536) throw new RangeError(`${where}: blockSize.min ${b.min} must be a power of 2 ≤ 65536`);
      if (!pow2(b.pref) || b.pref < Math.max(b.min, 512)) throw new RangeError(`${where}: blockSize.pref ${b.pref} must be a power of 2 ≥ max(min, 512)`);
      if (!(b.max >= b.pref) || b.max % b.min !== 0) throw new RangeError(`${where}: blockSize.max ${b.max} must be ≥ pref and a multiple of min`);
    }
  }
  if (cfg.defaultExport !== undefined && !seen.has(cfg.defaultExport)) {
    throw new RangeError(`server config: defaultExport '${cfg.defaultExport}' is not an export`);
  }
}

/** The export a name refers to ('' = the default export), or undefined. */
export function findExport(cfg: ServerConfig, name: string): ServerExport | undefined {
  const wanted = name === '' ? (cfg.defaultExport ?? cfg.exports[0]?.name) : name;
  return cfg.exports.find((e) => e.name === wanted);
}

/** Whether `who` is named in `list`: by address, or as `psk:<TLS-PSK identity>`. */
function names(list: readonly string[], who: ClientIdentity): boolean {
  return list.includes(who.address) || (who.tlsIdentity !== undefined && list.includes(`psk:${who.tlsIdentity}`));
}

export function allowed(e: ServerExport, who: ClientIdentity): boolean {
  return !e.allow || names(e.allow, who);
}

/** Read-only for this client: the whole export, or a read-only grant naming the client. */
export function readOnlyFor(e: ServerExport, who: ClientIdentity): boolean {
  return e.readOnly === true || (e.readOnlyFor !== undefined && names(e.readOnlyFor, who));
}
