/** `probe`: connect with our client, print what nbdinfo prints, optionally run commands. */
import { createHash } from 'node:crypto';
import { BridgeClient, NbdClientError } from './client.ts';
import { exportReport, extensionReport, extensionsLine, formatExport, mapLine, PROBE_EXTENSIONS, protocolLine, type ExportReport } from './describe.ts';
import { parseFill, parseNbdUrl, parseRange, UsageError } from './args.ts';
import { pickPsk, readPskFile, type PskEntry } from './psk.ts';

export interface ProbeOptions {
  json?: boolean;
  list?: boolean;
  map?: boolean;
  tlsPsk?: string;
  tlsUser?: string;
  read?: string;
  write?: string;
  flush?: boolean;
}

export interface ProbeOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Runs a probe; resolves with the exit code: 0 ok, 1 refused or failed, 2 bad arguments. */
export async function probe(url: string, opts: ProbeOptions, io: ProbeOutput): Promise<number> {
  let target;
  let psk: PskEntry | undefined;
  let read;
  let write;
  try {
    target = parseNbdUrl(url);
    if (opts.tlsUser !== undefined && opts.tlsPsk === undefined) throw new UsageError('--tls-user needs --tls-psk FILE');
    if (opts.tlsPsk !== undefined) {
      try {
        psk = pickPsk(readPskFile(opts.tlsPsk), opts.tlsUser);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    if (opts.read !== undefined) read = parseRange(opts.read, '--read');
    if (opts.write !== undefined) write = parseFill(opts.write, '--write');
    if (opts.list && (read || write || opts.flush || opts.map)) throw new UsageError('--list cannot be combined with --map, --read, --write or --flush');
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`orion-sim probe: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const base = { host: target.host, port: target.port, ...(psk ? { psk } : {}) };
  const hostPart = `nbd://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const uriOf = (name: string) => `${hostPart}/${encodeURIComponent(name)}`;
  try {
    const reports: ExportReport[] = [];
    const results: Record<string, unknown>[] = [];
    let protocol = '';
    let extensionText = '';
    let extensions: Record<string, string | boolean> = {};
    let tls = false;
    let structured = false;
    const names = opts.list ? (await BridgeClient.connect({ ...base, list: true })).exports.map((e) => e.name) : [target.exportName];
    for (const name of names) {
      const c = await BridgeClient.connect({ ...base, exportName: name, extensions: PROBE_EXTENSIONS });
      const x = c.info!;
      protocol = protocolLine(x);
      extensionText = extensionsLine(x);
      extensions = extensionReport(x);
      tls = x.tls;
      structured = x.structuredReplies;
      const rep = exportReport(x, uriOf(name));
      reports.push(rep);
      try {
        if (opts.map) rep.map = await mapExport(c, x.size, x.minBlock);
        if (write) {
          await chunked(write.offset, write.length, x.maxPayload, (off, len) => c.write(off, new Uint8Array(len).fill(write.byte)));
          results.push({ command: 'write', offset: write.offset, length: write.length, byte: write.byte, result: 'ok' });
        }
        if (opts.flush) {
          await c.flush();
          results.push({ command: 'flush', result: 'ok' });
        }
        if (read) {
          const data = new Uint8Array(read.length);
          await chunked(read.offset, read.length, x.maxPayload, (off, len) => c.read(off, len, 0, data.subarray(off - read.offset, off - read.offset + len)));
          results.push({
            command: 'read', offset: read.offset, length: read.length, result: 'ok',
            sha256: createHash('sha256').update(data).digest('hex'),
            head: Buffer.from(data.subarray(0, 16)).toString('hex'),
          });
        }
      } finally {
        await c.close();
      }
    }
    if (opts.json) {
      io.out(JSON.stringify({ protocol: 'newstyle-fixed', TLS: tls, structured, extensions, exports: reports, commands: results }, null, 2) + '\n');
    } else {
      const mapOnly = opts.map && !opts.list;
      if (!mapOnly) io.out(protocol + '\n' + (extensionText ? extensionText + '\n' : ''));
      for (const r of reports) {
        if (mapOnly) {
          for (const m of r.map as MapEntry[]) io.out(mapLine(m.offset, m.length, m.type));
          continue;
        }
        io.out(formatExport(r));
      }
      for (const r of results) io.out(formatResult(r));
    }
    return 0;
  } catch (e) {
    if (e instanceof NbdClientError) {
      io.err(`orion-sim probe: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Runs `fn` over [offset, offset+length) in pieces of at most `max` bytes (the server's maximum payload). */
async function chunked(offset: number, length: number, max: number, fn: (off: number, len: number) => Promise<unknown>): Promise<void> {
  for (let done = 0; done < length; done += max) await fn(offset + done, Math.min(max, length - done));
}

interface MapEntry {
  offset: number;
  length: number;
  type: number;
}

/** base:allocation over the whole export, merged (windows of 1 GiB, aligned to the minimum block). */
async function mapExport(c: BridgeClient, size: number, minBlock: number): Promise<MapEntry[]> {
  if (c.info!.metaContexts['base:allocation'] === undefined) throw new NbdClientError('command', 'server does not offer base:allocation (needed for --map)');
  const out: MapEntry[] = [];
  let pos = 0;
  while (pos < size) {
    const len = Math.min(size - pos, (1 << 30) - ((1 << 30) % minBlock));
    const ext = await c.blockStatus(pos, len);
    if (ext.length === 0) throw new NbdClientError('protocol', `empty block status reply at offset ${pos}`);
    for (const e of ext) {
      const n = Math.min(e.length, size - pos);
      if (n <= 0) break;
      const last = out[out.length - 1];
      if (last && last.type === e.flags) last.length += n;
      else out.push({ offset: pos, length: n, type: e.flags });
      pos += n;
    }
  }
  return out;
}

function formatResult(r: Record<string, unknown>): string {
  switch (r.command) {
    case 'read': return `read ${r.length as number} bytes at ${r.offset as number}: ok, sha256 ${r.sha256 as string}, first bytes ${r.head as string}\n`;
    case 'write': return `write ${r.length as number} bytes of 0x${(r.byte as number).toString(16).padStart(2, '0')} at ${r.offset as number}: ok\n`;
    default: return 'flush: ok\n';
  }
}
