/**
 * Real NBD peers for interop tests: one process per test on a free loopback port, torn down by
 * `stop()`. A missing tool is a failure (never a skip): with CI=true the suite must run them all,
 * and here they are installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Peer {
  host: string;
  port: number;
  /** Export name clients should ask for ('' for the default export). */
  exportName: string;
  /** nbd:// URI of the export. */
  uri: string;
  /** Scratch directory of this peer (deleted by stop). */
  dir: string;
  /** stdout+stderr of the process so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Fails with a clear message when a tool is not on PATH. */
export function requireTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    const why = process.env.CI === 'true' ? 'CI=true requires every interop tool' : 'interop tests need it installed';
    throw new Error(`required tool '${name}' is not on PATH (${why}; apt-get install nbdkit libnbd-bin qemu-utils nbd-server)`);
  }
  return path;
}

/** A TCP port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a socket listens on TCP `port` (read from /proc, so the peer sees no probe connection). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[1]?.endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}

/**
 * Resolves once a socket listens on `port`; rejects when the peer exits first or on timeout.
 * No probe connection: nbd-server -d ends its single process when a client drops mid-handshake.
 */
export function waitForPort(port: number, child: ChildProcess | null, timeoutMs = 10_000, log = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child && child.exitCode !== null) reject(new Error(`peer exited with code ${child.exitCode} before listening on port ${port}\n${log()}`));
      else if (listening(port)) resolve();
      else if (Date.now() > deadline) reject(new Error(`nothing listens on port ${port} after ${timeoutMs} ms\n${log()}`));
      else setTimeout(attempt, 20);
    };
    attempt();
  });
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `orion-${prefix}-`));
}

/** Spawns a long-running peer and waits for its port. */
async function startPeer(cmd: string, args: string[], port: number, exportName: string, dir: string): Promise<Peer> {
  requireTool(cmd);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const host = '127.0.0.1';
  const log = () => `${cmd} ${args.join(' ')}\n${out}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, 10_000, log);
  } catch (e) {
    await stop();
    throw e;
  }
  const path = exportName ? `/${encodeURIComponent(exportName)}` : '';
  return { host, port, exportName, uri: `nbd://${host}:${port}${path}`, dir, log, stop };
}

export interface NbdkitOptions {
  /** Memory plugin size, e.g. '64M' (default '16M'). */
  size?: string;
  /** Filters in order, e.g. ['error'] or ['delay', 'blocksize-policy']. */
  filters?: string[];
  /** Plugin and filter parameters, e.g. { 'error-rate': '1', 'error-pread': 'EIO' }. */
  params?: Record<string, string>;
  /** TLS-PSK required: the PSK file in nbdkit's `user:hexkey` format. */
  tlsPskFile?: string;
}

/** `nbdkit memory` on a free loopback port, in the foreground, dying with the test process. */
export async function startNbdkit(opts: NbdkitOptions = {}): Promise<Peer> {
  const port = await freePort();
  const dir = scratchDir('nbdkit');
  const args = ['--foreground', '--exit-with-parent', '--ipaddr', '127.0.0.1', '--port', String(port)];
  if (opts.tlsPskFile) args.push('--tls=require', `--tls-psk=${opts.tlsPskFile}`);
  for (const f of opts.filters ?? []) args.push(`--filter=${f}`);
  args.push('memory', `size=${opts.size ?? '16M'}`);
  for (const [k, v] of Object.entries(opts.params ?? {})) args.push(`${k}=${v}`);
  return startPeer('nbdkit', args, port, '', dir);
}

/** `qemu-nbd -t` on a sparse raw file of `sizeBytes`. */
export async function startQemuNbd(sizeBytes: number, exportName = 'disk'): Promise<Peer> {
  const port = await freePort();
  const dir = scratchDir('qemu-nbd');
  const file = join(dir, 'disk.raw');
  writeFileSync(file, '');
  spawnSync('truncate', ['-s', String(sizeBytes), file]);
  const args = ['-t', '-f', 'raw', '-b', '127.0.0.1', '-p', String(port), '-x', exportName, '--shared=4', file];
  return startPeer('qemu-nbd', args, port, exportName, dir);
}

/** `nbd-server` in the foreground (-d) with a config file that listens on loopback only. */
export async function startNbdServer(sizeBytes: number, exportName = 'disk', opts: { flush?: boolean } = {}): Promise<Peer> {
  const port = await freePort();
  const dir = scratchDir('nbd-server');
  const file = join(dir, 'disk.img');
  writeFileSync(file, '');
  spawnSync('truncate', ['-s', String(sizeBytes), file]);
  const config = join(dir, 'config');
  writeFileSync(config, [
    '[generic]',
    'listenaddr = 127.0.0.1',
    `port = ${port}`,
    'allowlist = true',
    `[${exportName}]`,
    `exportname = ${file}`,
    `flush = ${opts.flush ?? true}`,
    'fua = true',
    'trim = true',
    '',
  ].join('\n'));
  return startPeer('nbd-server', ['-C', config, '-d'], port, exportName, dir);
}

/** Writes a PSK file in nbdkit's `username:hexkey` format; returns its path. */
export function writePskFile(dir: string, user: string, keyHex: string, name = 'keys.psk'): string {
  const path = join(dir, name);
  writeFileSync(path, `${user}:${keyHex}\n`, { mode: 0o600 });
  return path;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (async, so a server in this process keeps serving meanwhile). */
export function run(cmd: string, args: string[], opts: { input?: Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
  requireTool(cmd);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => { clearTimeout(t); reject(e); });
    child.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
