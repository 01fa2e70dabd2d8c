// The UDP transport (docs/nbd-extensions.md, "UDP transport") in whole runs: the handshake on TCP,
// then transmission in UDP datagrams on the same NIC and wire (the pcap, read by tshark's protocol
// hierarchy), loss recovery visible in nbd-network-stats, and tcp_enabled / udp_enabled as the
// config documents them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../scenarios/schema/index.ts';
import { runScenario } from '../../../scenarios/runner/index.ts';
import { PcapBuilder } from '../../../tools/trace/pcap.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const reorderDup = readFileSync(join(DIR, 'udp-reorder-dup.toml'), 'utf8');

function netStats(r: ReturnType<typeof runScenario>): Record<string, number> {
  const m = r.mgmt.find((x) => x.command[0] === 'nbd-network-stats');
  if (!m) throw new Error('no nbd-network-stats output in the run');
  return m.data as Record<string, number>;
}

function tshark(args: string[]): string {
  const t = spawnSync('tshark', args, { encoding: 'utf8' });
  if (t.error || t.status !== 0) {
    if (process.env.CI === 'true' || !t.error) throw new Error(`tshark failed: ${t.error?.message ?? t.stderr}`);
    throw new Error('tshark is not installed (apt-get install tshark)');
  }
  return t.stdout;
}

describe('UDP transport runs', () => {
  it('udp-reorder-dup: TCP handshake, then UDP on the wire; retransmissions and duplicates counted, data intact', () => {
    const pcap = new PcapBuilder();
    const r = runScenario(parseScenario(reorderDup, 'udp-reorder-dup.toml'), 1, { onPacket: (t, p) => pcap.add(t, p) });
    expect(r.passed).toBe(true);
    const s = netStats(r);
    // 1500 requests of 1 KiB (one datagram each way) plus the fsync FLUSHes, on 2 connections.
    expect(s['net/udp/datagrams_sent']).toBeGreaterThan(1500);
    expect(s['net/udp/datagrams_received']).toBeGreaterThan(1400);
    // 3 % of frames are held 3 ms (beyond the ~1 ms timeout) and 3 % duplicated.
    expect(s['net/udp/retransmissions']).toBeGreaterThan(10);
    expect(s['net/udp/duplicates']).toBeGreaterThan(10);
    expect(s['net/udp/malformed']).toBe(0);

    const file = join(mkdtempSync(join(tmpdir(), 'udp-pcap-')), 'run.pcap');
    writeFileSync(file, pcap.toBuffer());
    const phs = tshark(['-r', file, '-qz', 'io,phs']);
    expect(phs).toMatch(/^\s+tcp\s+frames:\d+/m);
    expect(phs).toMatch(/^\s+udp\s+frames:\d+/m);
    const udpFrames = Number(/^\s+udp\s+frames:(\d+)/m.exec(phs)![1]);
    const tcpFrames = Number(/^\s+tcp\s+frames:(\d+)/m.exec(phs)![1]);
    expect(udpFrames).toBeGreaterThan(tcpFrames);
    // Frame order: the first UDP datagram leaves after the TCP handshake (SYN, greeting, options).
    const protos = tshark(['-r', file, '-T', 'fields', '-e', 'ip.proto']).trim().split('\n');
    const firstUdp = protos.indexOf('17');
    expect(protos.slice(0, firstUdp).filter((p) => p === '6').length).toBeGreaterThanOrEqual(8);
  });

  it('udp-reorder-dup: the session queues nothing (blk-mq hears BUSY); a FLUSH blk-mq sends past earlier writes still in its scheduler passes flush-order', () => {
    const queued = new Map<number, string>(); // rq id -> op, queued and never offered to the driver
    let busy = 0;
    let overtaking = 0;
    const r = runScenario(parseScenario(reorderDup, 'udp-reorder-dup.toml'), 1, {
      onTrace: (t) => {
        const d = t.data as { rq: number; op?: string };
        if (t.kind === 'rq.queue') queued.set(d.rq, d.op!);
        else if (t.kind === 'rq.busy') busy++;
        else if (t.kind === 'rq.issue') {
          const op = queued.get(d.rq);
          queued.delete(d.rq);
          if (op === 'flush') for (const [id, o] of queued) if (id < d.rq && o === 'write') { overtaking++; break; }
        }
      },
    });
    expect(r.passed).toBe(true);
    expect(busy).toBeGreaterThan(0); // the AIMD window or an overlapping write in flight refused a request
    expect(overtaking).toBeGreaterThan(0); // Linux's flush machinery, not a FIFO: the case flush-order must allow
    expect(r.expectations.find((e) => e.name === 'flush-order')).toMatchObject({ ok: true });
  });

  it('udp_enabled with tcp_enabled: a server refusing UDP leaves the device on TCP', () => {
    const text = reorderDup.replace('tcp_enabled = false', 'tcp_enabled = true').replace('disk = "nvme"', 'disk = "nvme"\nudp = false')
      .replace('reorder = "3%"', 'reorder = "0%"').replace('duplicate = "3%"', 'duplicate = "0%"');
    const r = runScenario(parseScenario(text, 'udp-fallback.toml'), 1);
    expect(r.passed).toBe(true);
    const s = netStats(r);
    expect(s['net/udp/datagrams_sent']).toBe(0);
    expect(s['net/bytes_sent']).toBeGreaterThan(750 * 1024); // ~750 writes of 1 KiB went on TCP
  });

  it('udp_enabled = false (the default): nothing asks for UDP, no UDP counters', () => {
    const text = reorderDup.replace('udp_enabled = true', 'udp_enabled = false').replace('tcp_enabled = false', 'tcp_enabled = true')
      .replace('reorder = "3%"', 'reorder = "0%"').replace('duplicate = "3%"', 'duplicate = "0%"');
    const r = runScenario(parseScenario(text, 'udp-off.toml'), 1);
    expect(r.passed).toBe(true);
    expect(Object.keys(netStats(r)).filter((k) => k.startsWith('net/udp/'))).toEqual([]);
  });
});
