// Real TCP on loopback (issue 5), side by side in one run: 1 GiB read from `nbdkit memory` by our
// client (tools/bridge's readBench on BridgeClient: multi-conn, 64 in flight, records reused) and
// by nbdcopy; and nbdcopy reading from our `serve` vs from nbdkit. One nbdkit per measurement;
// every export filled first (nbdcopy skips holes). Rounds interleave the readers so machine load
// hits them alike; best and median.
import { readBench } from '../bridge/read-bench.ts';
import { startServe, type RunningServer } from '../bridge/serve.ts';
import { sweep, type SweepOptions } from './nbd-reader.ts';
import { LOOPBACK, requireTool, startNbdkitMemory, timeNbdcopyToNull } from './peers.ts';
import { formatBytes, printTable, versusGoal } from './table.ts';

const GIB = 1 << 30;
const TOTAL = Number(process.env.BENCH_INTEROP_BYTES ?? GIB);
const ROUNDS = Number(process.env.BENCH_INTEROP_ROUNDS ?? 3);
const SHAPE = { connections: 4, inFlight: 64, requestBytes: 256 * 1024, totalBytes: TOTAL } as const;

function opts(port: number, exportName = ''): SweepOptions {
  return { host: LOOPBACK, port, exportName, ...SHAPE };
}

/** Fill times of the exports by our client's writes (same shape as the reads), seconds. */
const fills: number[] = [];
let multiConn = true;

/** A fresh nbdkit memory, filled, for one measurement. */
async function onNbdkit(fn: (port: number, url: string) => Promise<number>): Promise<number> {
  const peer = await startNbdkitMemory(TOTAL);
  try {
    fills.push((await sweep(opts(peer.port), true)).seconds);
    return await fn(peer.port, peer.url);
  } finally {
    await peer.stop();
  }
}

async function ourRead(port: number): Promise<number> {
  const r = await readBench({
    host: LOOPBACK, port, connections: SHAPE.connections, inFlight: SHAPE.inFlight, requestSize: SHAPE.requestBytes, bytes: TOTAL,
  });
  multiConn &&= r.multiConn;
  return r.seconds;
}

function stats(xs: number[]): { best: number; median: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { best: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN };
}

export async function benchInterop(): Promise<void> {
  requireTool('nbdkit', 'nbdkit');
  requireTool('nbdcopy', 'libnbd-bin');
  const serve: RunningServer = await startServe({ port: 0, exports: [{ name: 'bench', size: TOTAL }] });
  const times = { ours: [] as number[], copyKit: [] as number[], copyServe: [] as number[] };
  let fillServe = 0;
  try {
    fillServe = (await sweep(opts(serve.port, 'bench'), true)).seconds;
    const serveUrl = `nbd://${LOOPBACK}:${serve.port}/bench`;
    for (let i = 0; i < ROUNDS; i++) {
      times.copyKit.push(await onNbdkit((_port, url) => timeNbdcopyToNull(url)));
      times.ours.push(await onNbdkit((port) => ourRead(port)));
      times.copyServe.push(await timeNbdcopyToNull(serveUrl));
    }
  } finally {
    await serve.close();
  }
  const kit = stats(times.copyKit);
  const ours = stats(times.ours);
  const srv = stats(times.copyServe);
  const rate = (s: number): string => `${formatBytes(TOTAL / s)}/s`;
  const size = TOTAL >= GIB ? `${TOTAL / GIB} GiB` : `${TOTAL / (1 << 20)} MiB`;
  const row = (name: string, t: { best: number; median: number }, goal?: number): string[] => [
    name, t.best.toFixed(2), rate(t.best), rate(t.median), `${(kit.best / t.best).toFixed(2)}×`, goal === undefined ? '' : versusGoal(kit.best / t.best, goal),
  ];
  const header = ['', 'best s', 'best rate', 'median rate', 'vs nbdcopy+nbdkit', 'vs goal'];
  printTable(
    `Interop on loopback: reading ${size} from nbdkit memory, ${SHAPE.connections} connections, ${SHAPE.inFlight} in flight, ${SHAPE.requestBytes >> 10} KiB requests; best of ${ROUNDS}. Goal ≥ 0.8× nbdcopy`,
    ['reader', ...header.slice(1)],
    [
      row('nbdcopy (libnbd)', kit),
      row(`our client (tools/bridge)${multiConn ? '' : ' — server offered no multi-conn'}`, ours, 0.8),
    ],
  );
  printTable(
    `Interop on loopback: nbdcopy (its defaults) reading ${size} from our serve vs from nbdkit memory; best of ${ROUNDS}. Goal ≥ 0.7×`,
    ['server', ...header.slice(1)],
    [row('nbdkit memory', kit), row('orion-sim serve (in the bench process)', srv, 0.7)],
  );
  const f = stats(fills);
  console.log(`(exports filled by our client's writes, same shape: nbdkit best ${rate(f.best)}, serve ${rate(fillServe)})`);
}
