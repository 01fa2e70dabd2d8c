/** `probe`: connect with our client, print what nbdinfo prints, optionally run commands. */
import { createHash } from 'node:crypto';
import { BridgeClient, NbdClientError } from './client.ts';
import { exportReport, extensionReport, extensionsLine, formatExport, mapLine, PROBE_EXTENSIONS, protocolLine, type ExportReport } from './describe.ts';
import { parseFill, parseNbdUrl, parseRange, UsageError } from './args.ts';
import { pickPsk, readPskFile, type PskEntry } from './psk.ts';
import { NBD_FLAG_SEND_FLUSH } from '../../drivers/nbd/protocol/uapi.ts';

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
      const c = await BridgeClient.connect({ ...base, exportName: name, extendedHeaders: true, extensions: PROBE_EXTENSIONS });
      const x = c.info!;
      protocol = protocolLine(x);
      extensionText = extensionsLine(x);
      extensions = extensionReport(x);
      tls = x.tls;
      structured = x.structuredReplies;
      const rep = exportReport(x, uriOf(name));
      reports.push(rep);
      try {
        // A range past the export's end is the flag's fault, known before anything is sent (or a buffer of LEN made).
        for (const [flag, r] of [['--read', read], ['--write', write]] as const) {
          if (r && r.offset + r.length > x.size) throw new UsageError(`${flag}: ${r.offset}:${r.length} ends at ${r.offset + r.length}, past the end of export "${name}" (${x.size} bytes)`);
        }
        if (opts.map) rep.map = await mapExport(c, x.size, x.minBlock);
        // Each command stands alone: one the server refuses is reported and the others still run.
        if (write) {
          results.push(await command({ command: 'write', offset: write.offset, length: write.length, byte: write.byte }, () =>
            chunked(write.offset, write.length, x.maxPayload, (off, len) => c.write(off, new Uint8Array(len).fill(write.byte)))));
        }
        if (opts.flush) {
          results.push((x.transmissionFlags & NBD_FLAG_SEND_FLUSH) === 0
            ? { command: 'flush', result: 'unsupported', reason: 'the server does not offer flush (NBD_FLAG_SEND_FLUSH not set)' }
            : await command({ command: 'flush' }, () => c.flush()));
        }
        if (read) {
          const data = new Uint8Array(read.length);
          const r = await command({ command: 'read', offset: read.offset, length: read.length }, () =>
            chunked(read.offset, read.length, x.maxPayload, (off, len) => c.read(off, len, 0, data.subarray(off - read.offset, off - read.offset + len))));
          if (r.result === 'ok') {
            r.sha256 = createHash('sha256').update(data).digest('hex');
            r.head = Buffer.from(data.subarray(0, 16)).toString('hex');
          }
          results.push(r);
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
    return results.every((r) => r.result === 'ok') ? 0 : 1;
  } catch (e) {
    if (e instanceof NbdClientError) {
      io.err(`orion-sim probe: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.err(`orion-sim probe: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** Runs one command; a server error (or a refusal) becomes its result instead of ending the probe. */
async function command(what: Record<string, unknown>, run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await run();
    return { ...what, result: 'ok' };
  } catch (e) {
    if (!(e instanceof NbdClientError) || (e.kind !== 'command' && e.kind !== 'submit')) throw e;
    return { ...what, result: 'failed', reason: e.message };
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
  const what = r.command === 'read' ? `read ${r.length as number} bytes at ${r.offset as number}`
    : r.command === 'write' ? `write ${r.length as number} bytes of 0x${(r.byte as number).toString(16).padStart(2, '0')} at ${r.offset as number}`
    : 'flush';
  if (r.result !== 'ok') return `${what}: ${r.result as string}: ${r.reason as string}\n`;
  return r.command === 'read' ? `${what}: ok, sha256 ${r.sha256 as string}, first bytes ${r.head as string}\n` : `${what}: ok\n`;
}
