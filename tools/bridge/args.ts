/** Parsing of the bridge commands' arguments; every error names the argument and the rule. */
import { NBD_DEFAULT_PORT } from '../../drivers/nbd/protocol/uapi.ts';

/** A bad argument: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface NbdUrl {
  host: string;
  port: number;
  exportName: string;
}

/** nbd://HOST[:PORT][/EXPORT] (port 10809 by default, the export name URL-decoded). */
export function parseNbdUrl(text: string): NbdUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`'${text}' is not a URL: expected nbd://HOST:PORT[/EXPORT]`);
  }
  if (u.protocol !== 'nbd:') throw new UsageError(`'${text}': scheme must be nbd:// (got ${u.protocol}//)`);
  if (!u.hostname) throw new UsageError(`'${text}': no host: expected nbd://HOST:PORT[/EXPORT]`);
  if (u.search || u.hash) throw new UsageError(`'${text}': query strings and fragments are not supported`);
  const port = u.port === '' ? NBD_DEFAULT_PORT : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port, exportName: decodeURIComponent(u.pathname.replace(/^\//, '')) };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, K: 1024, m: 1 << 20, M: 1 << 20, g: 1 << 30, G: 1 << 30, t: 2 ** 40, T: 2 ** 40 };

/** A byte count: digits with an optional k/M/G/T suffix (powers of 1024), e.g. 64M. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+)([kKmMgGtT]?)(i?B)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: '${text}' is not a size (digits with an optional k, M, G or T suffix)`);
  const v = Number(m[1]) * UNITS[m[2]!]!;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${what}: '${text}' is too large`);
  return v;
}

/** OFF:LEN for --read. */
export function parseRange(text: string, what: string): { offset: number; length: number } {
  const parts = text.split(':');
  if (parts.length !== 2) throw new UsageError(`${what}: '${text}' must be OFF:LEN`);
  return { offset: parseSize(parts[0]!, `${what} offset`), length: parseSize(parts[1]!, `${what} length`) };
}

/** OFF:LEN:BYTE for --write (BYTE decimal or 0x hex, 0-255). */
export function parseFill(text: string, what: string): { offset: number; length: number; byte: number } {
  const parts = text.split(':');
  if (parts.length !== 3) throw new UsageError(`${what}: '${text}' must be OFF:LEN:BYTE`);
  const b = parts[2]!;
  const byte = /^0x[0-9a-fA-F]{1,2}$/.test(b) ? parseInt(b, 16) : /^\d{1,3}$/.test(b) ? Number(b) : NaN;
  if (!(byte >= 0 && byte <= 255)) throw new UsageError(`${what}: byte '${b}' must be 0-255 (decimal or 0x hex)`);
  return { offset: parseSize(parts[0]!, `${what} offset`), length: parseSize(parts[1]!, `${what} length`), byte };
}

/** NAME=SIZE for --export. */
export function parseExportSpec(text: string): { name: string; size: number } {
  const eq = text.lastIndexOf('=');
  if (eq < 0) throw new UsageError(`--export '${text}' must be NAME=SIZE (e.g. disk=64M)`);
  return { name: text.slice(0, eq), size: parseSize(text.slice(eq + 1), `--export ${text.slice(0, eq) || "''"}`) };
}

export function parsePort(text: string, what = '--port'): number {
  const p = Number(text);
  if (!/^\d+$/.test(text) || p < 0 || p > 65535) throw new UsageError(`${what}: '${text}' is not a TCP port (0-65535)`);
  return p;
}

/** `EXPORT=ID[,ID...]` of --allow / --read-only-for: ids are `psk:<identity>` or an IP address. */
export function parseAccessSpec(text: string, flag: string): { name: string; ids: string[] } {
  const eq = text.lastIndexOf('=');
  if (eq < 0) throw new UsageError(`${flag} '${text}' must be EXPORT=ID[,ID...] (ID: psk:<identity> or an IP address)`);
  const ids = text.slice(eq + 1).split(',').filter((x) => x !== '');
  if (ids.length === 0) throw new UsageError(`${flag} '${text}': no client identity after '='`);
  for (const id of ids) {
    if (!/^psk:.+$/.test(id) && !/^[0-9a-fA-F:.]+$/.test(id)) throw new UsageError(`${flag} '${text}': '${id}' is neither psk:<identity> nor an IP address`);
  }
  return { name: text.slice(0, eq), ids };
}
