/**
 * Real peers for the interop bench: free loopback ports, an `nbdkit memory` per measurement,
 * nbdcopy timed as a child process. Wall-clock and async (tools/ only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LOOPBACK = '127.0.0.1';

/** A port the kernel just handed out on loopback (closed again, so the peer can bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Throws naming the tool and the package when `name` is not on PATH. */
export function requireTool(name: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`interop bench: '${name}' is not on PATH (apt-get install ${pkg})`);
}

/** Waits for `file` to exist: nbdkit writes its pid file once it listens (no probe connection). */
function waitForFile(file: string, child: ChildProcess, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (existsSync(file)) return resolve();
      if (child.exitCode !== null) return reject(new Error(`${what} exited with ${child.exitCode} before it was ready`));
      if (Date.now() > until) return reject(new Error(`${what} was not ready within ${timeoutMs} ms`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

export interface Peer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** `nbdkit memory SIZE` in the foreground on a free loopback port. */
export async function startNbdkitMemory(sizeBytes: number): Promise<Peer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orion-bench-nbdkit-'));
  const pidFile = join(dir, 'pid');
  const child = spawn('nbdkit', ['-f', '--exit-with-parent', '-P', pidFile, '-i', LOOPBACK, '-p', String(port), 'memory', String(sizeBytes)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForFile(pidFile, child, `nbdkit on port ${port}`);
  } catch (e) {
    child.kill('SIGKILL');
    cleanup();
    throw e;
  }
  return {
    port,
    url: `nbd://${LOOPBACK}:${port}`,
    stop: () => new Promise<void>((resolve) => {
      const done = (): void => {
        cleanup();
        resolve();
      };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
}

/** Runs nbdcopy SOURCE null: (its defaults: 4 connections, 64 requests each, 256 KiB); wall seconds. */
export function timeNbdcopyToNull(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('nbdcopy', [url, 'null:'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(s);
      else reject(new Error(`nbdcopy ${url} null: exited with ${code}: ${err.trim()}`));
    });
  });
}
