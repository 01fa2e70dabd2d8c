// Real TCP on loopback (issue 5), side by side in one run: 1 GiB read from `nbdkit memory` by our
// client (E5's BridgeClient, multi-conn, 64 in flight) and by nbdcopy; and nbdcopy reading from
// our `serve` vs from nbdkit. One nbdkit per measurement; every export filled first (nbdcopy
// skips holes).
import { startServe } from '../bridge/serve.ts';
import { sweep, type SweepOptions } from './nbd-reader.ts';
import { LOOPBACK, requireTool, startNbdkitMemory, timeNbdcopyToNull } from './peers.ts';
import { formatBytes, printTable, versusGoal } from './table.ts';

const GIB = 1 << 30;
const TOTAL = Number(process.env.BENCH_INTEROP_BYTES ?? GIB);
const SHAPE = { connections: 4, inFlight: 64, requestBytes: 256 * 1024, totalBytes: TOTAL } as const;

function opts(port: number, exportName = ''): SweepOptions {
  return { host: LOOPBACK, port, exportName, ...SHAPE };
}

/** Fill times of the exports by our client's writes (same shape as the reads), seconds. */
const fills: string[] = [];

async function withNbdkit<T>(fn: (port: number, url: string) => Promise<T>): Promise<T> {
  const peer = await startNbdkitMemory(TOTAL);
  try {
    fills.push(`nbdkit ${(await sweep(opts(peer.port), true)).seconds.toFixed(2)} s`);
    return await fn(peer.port, peer.url);
  } finally {
    await peer.stop();
  }
}

export async function benchInterop(): Promise<void> {
  requireTool('nbdkit', 'nbdkit');
  requireTool('nbdcopy', 'libnbd-bin');
  const ours = await withNbdkit(async (port) => sweep(opts(port)));
  const copyKit = await withNbdkit(async (_port, url) => timeNbdcopyToNull(url));
  const serve = await startServe({ port: 0, exports: [{ name: 'bench', size: TOTAL }] });
  let copyServe: number;
  let fillServe: number;
  try {
    fillServe = (await sweep(opts(serve.port, 'bench'), true)).seconds;
    fills.push(`serve ${fillServe.toFixed(2)} s`);
    copyServe = await timeNbdcopyToNull(`nbd://${LOOPBACK}:${serve.port}/bench`);
  } finally {
    await serve.close();
  }
  const rate = (s: number): number => TOTAL / s;
  const size = TOTAL >= GIB ? `${TOTAL / GIB} GiB` : `${TOTAL / (1 << 20)} MiB`;
  const ratio = (x: number, base: number): string => `${(rate(x) / rate(base)).toFixed(2)}×`;
  printTable(
    `Interop on loopback: reading ${size} from nbdkit memory (filled first), ${SHAPE.connections} connections, ${SHAPE.inFlight} in flight, ${SHAPE.requestBytes >> 10} KiB requests`,
    ['reader', 'seconds', 'rate', 'vs nbdcopy', 'vs goal 0.8×'],
    [
      ['nbdcopy (libnbd)', copyKit.toFixed(2), `${formatBytes(rate(copyKit))}/s`, '1.00×', ''],
      [`our client (tools/bridge)${ours.multiConn ? '' : ', no multi-conn offered'}`, ours.seconds.toFixed(2), `${formatBytes(rate(ours.seconds))}/s`, ratio(ours.seconds, copyKit), versusGoal(rate(ours.seconds), 0.8 * rate(copyKit))],
    ],
  );
  printTable(
    `Interop on loopback: nbdcopy reading ${size} (nbdcopy defaults) from our serve (filled by our client in ${fillServe.toFixed(2)} s) vs from nbdkit memory`,
    ['server', 'seconds', 'rate', 'vs nbdkit', 'vs goal 0.7×'],
    [
      ['nbdkit memory', copyKit.toFixed(2), `${formatBytes(rate(copyKit))}/s`, '1.00×', ''],
      ['orion-sim serve (in this process)', copyServe.toFixed(2), `${formatBytes(rate(copyServe))}/s`, ratio(copyServe, copyKit), versusGoal(rate(copyServe), 0.7 * rate(copyKit))],
    ],
  );
  console.log(`(fills by our client's writes, same shape: ${fills.join(', ')})`);
}
