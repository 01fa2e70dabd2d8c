/**
 * Real peers for the interop bench: free loopback ports, an `nbdkit memory` per measurement,
 * nbdcopy timed as a child process. Wall-clock and async (tools/ only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

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

function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`${what} exited with ${child.exitCode} before listening on ${port}`));
      const c = connect({ host: LOOPBACK, port });
      c.once('connect', () => {
        c.destroy();
        resolve();
      });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > until) reject(new Error(`${what} did not listen on ${LOOPBACK}:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
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
  const child = spawn('nbdkit', ['-f', '--exit-with-parent', '-i', LOOPBACK, '-p', String(port), 'memory', String(sizeBytes)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, child, 'nbdkit');
  return {
    port,
    url: `nbd://${LOOPBACK}:${port}`,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
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
