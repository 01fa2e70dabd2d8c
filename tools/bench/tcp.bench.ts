// TCP over the real fabric (E3's kernel/net + drivers/net on scenarios/machine): one bulk stream
// client → server through NICs, IRQs, NAPI and the switch; simulated bytes per wall second.
import { buildMachine, type MachineConfig } from '../../scenarios/machine/index.ts';
import { cpuShare, formatBytes, measureCounts, perSecond, printTable } from './table.ts';

const BYTES = 64 << 20;
const CHUNK = 1 << 20;

export interface Link {
  rateBps: number;
  propagationNs: number;
  loss: number;
}

function config(l: Link): MachineConfig {
  const link = { rateBps: l.rateBps, propagationNs: l.propagationNs, impairments: { loss: l.loss } };
  return {
    hosts: [
      { name: 'client', role: 'client', ip: '10.0.0.1', link },
      { name: 'server', role: 'server', ip: '10.0.0.2', link },
    ],
  };
}

/** One transfer of `total` bytes (default BYTES); returns [bytes delivered, engine events, virtual ns]. */
export function transfer(l: Link, trace: boolean, total = BYTES): number[] {
  const m = buildMachine(config(l), { seed: 7, trace });
  const e = m.engine;
  const server = m.host('server');
  let got = 0;
  let doneNs = 0;
  server.net.listen(80).onAccept = (s) => {
    s.onData = (c) => {
      got += c.length;
      if (got >= total) {
        doneNs = e.now;
        e.stop();
      }
    };
  };
  const c = m.client!.net.tcpSocket();
  const chunk = new Uint8Array(CHUNK).fill(0x5a);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = c.send(chunk, 0, Math.min(CHUNK, total - sent));
      if (n === 0) return;
      sent += n;
    }
  };
  c.onWritable = pump;
  c.onConnect = pump;
  c.connect(server.ip, 80);
  const events0 = e.eventsRun;
  e.run();
  if (got < total) throw new Error(`tcp bench: only ${got} of ${total} bytes arrived`);
  return [got, e.eventsRun - events0, doneNs];
}

export function benchTcp(): void {
  const links: [string, Link][] = [
    ['10 Gbit/s 25 µs', { rateBps: 10e9, propagationNs: 25_000, loss: 0 }],
    ['10 Gbit/s 25 µs 1 % loss', { rateBps: 10e9, propagationNs: 25_000, loss: 0.01 }],
    ['25 Gbit/s 20 µs', { rateBps: 25e9, propagationNs: 20_000, loss: 0 }],
  ];
  const rows: (string | number)[][] = [];
  for (const [name, l] of links) {
    for (const trace of [false, true]) {
      let simNs = 0;
      const m = measureCounts(() => {
        const r = transfer(l, trace);
        simNs = r[2]!;
        return r;
      });
      const wallBps = perSecond(m, 0);
      const simBps = (BYTES * 1e9) / simNs;
      rows.push([`${name}, trace ${trace ? 'on' : 'off'}`, `${formatBytes(wallBps)}`, perSecond(m, 1), `${formatBytes(simBps)}/s`, `${(wallBps / simBps).toFixed(3)}×`, cpuShare(m)]);
    }
  }
  printTable(
    `TCP over the fabric (client NIC → switch → server NIC, TSO, NAPI): one stream of ${BYTES >> 20} MiB per run`,
    ['link', 'sim bytes per wall s', 'events per wall s', 'sim goodput (virtual)', 'wall/virtual', 'CPU share'],
    rows,
  );
}
