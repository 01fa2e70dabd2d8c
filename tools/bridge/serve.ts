/** `serve`: the simulator's NBD server program on a real TCP port, serving in-memory exports. */
import { createServer, type Server } from 'node:net';
import { MemoryStore } from '../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { RngStreams } from '../../hw-sim/engine/rng.ts';
import { NbdServer, type ServerExport, type ServerSession, type TlsMode } from '../../scenarios/hosts/nbd-server/protocol/index.ts';
import { SocketStream } from './byte-stream.ts';
import { NBD_ORION_CHECKSUM_CRC32C, NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4 } from '../../drivers/nbd/protocol/uapi.ts';
import { readPskFile } from './psk.ts';

export interface ServeOptions {
  port: number;
  /** Listen address (default 127.0.0.1: loopback only). */
  bind?: string;
  exports: readonly { name: string; size: number; allow?: readonly string[]; readOnlyFor?: readonly string[] }[];
  /** Require TLS-PSK with keys from this nbdkit-format file. */
  tlsPskFile?: string;
  /** Called with one line per connection event (quiet when absent). */
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly port: number;
  readonly server: NbdServer;
  close(): Promise<void>;
}

export function startServe(opts: ServeOptions): Promise<RunningServer> {
  const keys = opts.tlsPskFile ? readPskFile(opts.tlsPskFile) : null;
  const tls: TlsMode = keys ? 'require' : 'off';
  const exports: ServerExport[] = opts.exports.map((e) => ({
    name: e.name, store: new MemoryStore(e.size), ...(e.allow ? { allow: e.allow } : {}), ...(e.readOnlyFor ? { readOnlyFor: e.readOnlyFor } : {}),
  }));
  const rng = new RngStreams('serve');
  // Every Orion extension is granted to clients that ask (docs/nbd-extensions.md).
  const extensions = { compression: [NBD_ORION_COMPRESS_LZ4, NBD_ORION_COMPRESS_DEFLATE], checksum: [NBD_ORION_CHECKSUM_CRC32C] };
  const server = new NbdServer({ exports, tls, extensions }, { name: 'serve', rngOf: (n) => rng.get(n), traceRequests: false });
  const log = opts.log;
  const sockets = new Set<SocketStream>();
  const tcp: Server = createServer((raw) => {
    const stream = new SocketStream(raw);
    sockets.add(stream);
    let session: ServerSession | null = null;
    session = server.accept({
      // Valid during the call only: SocketStream copies small pieces (reply headers from the
      // session's scratch); larger ones are the memory store's pages or fresh buffers, which
      // stay put while node holds them.
      send: (b) => stream.write(b),
      close: () => stream.close(),
      schedule: (ns, fn) => { setTimeout(fn, Math.ceil(ns / 1e6)); },
      ...(keys ? {
        startTls: () => {
          stream.upgradeServer(keys).then((id) => session?.tlsReady(id), (e: Error) => {
            log?.(`${stream.remoteAddress}: TLS handshake failed: ${e.message}`);
          });
        },
      } : {}),
      ...(log ? { trace: (kind: string, data?: Record<string, unknown>) => {
        if (kind !== 'request') log(`${stream.remoteAddress} ${kind} ${data ? JSON.stringify(data) : ''}`);
      } } : {}),
    }, { address: stream.remoteAddress });
    stream.attach({
      onData: (b) => session?.receive(b),
      onClose: () => {
        sockets.delete(stream);
        session?.closed();
      },
    });
  });
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(opts.port, opts.bind ?? '127.0.0.1', () => {
      tcp.off('error', reject);
      const addr = tcp.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      resolve({
        port,
        server,
        close: () => new Promise<void>((done) => {
          server.closeAll();
          for (const s of sockets) s.destroy();
          tcp.close(() => done());
        }),
      });
    });
  });
}
