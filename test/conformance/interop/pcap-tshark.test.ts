import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryPcapSink, PcapWriter } from '../../../hw-sim/net/pcap.ts';
import { buildMachine } from '../../../scenarios/machine/index.ts';
import { NbdServerProgram } from '../../../scenarios/hosts/nbd-server/index.ts';
import { newRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { SimClient } from '../../unit/server/sim-client.ts';
import { run, scratchDir } from './peers.ts';

describe('pcap of a simulated NBD run, decoded by tshark', () => {
  it('READ/WRITE requests and their simple replies match by handle', async () => {
    const link = { rateBps: 10e9, propagationNs: 5_000 };
    const m = buildMachine({
      hosts: [{ name: 'client', role: 'client', ip: '10.0.0.1', link }, { name: 'server-a', role: 'server', ip: '10.0.0.2', link }],
    }, { seed: 4 });
    const sink = new MemoryPcapSink();
    m.host('server-a').link.addTap(new PcapWriter(sink));
    new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: 1 << 20, disk: 'ram' }] }).start();
    // Simple replies: the Wireshark 4.0 NBD dissector pairs requests and replies by handle.
    const c = new SimClient(m, 'vol', { structuredReplies: false });
    m.engine.run();
    // Four in flight at once, so the handles (cookies) differ: generation 1, tags 0-3.
    for (let i = 0; i < 4; i++) c.submit(newRequest(1, i * 4096, 4096, new Uint8Array(4096).fill(i + 1)));
    m.engine.run();
    for (let i = 0; i < 4; i++) c.submit(newRequest(0, i * 4096, 4096, new Uint8Array(4096)));
    m.engine.run();
    expect(c.done.map((r) => r.error)).toEqual(new Array(8).fill(0));
    const file = join(scratchDir('pcap'), 'nbd.pcap');
    writeFileSync(file, sink.bytes());
    // Autocorking (Linux's default) may carry several NBD messages in one frame: tshark then
    // lists each field's occurrences joined by ';', one message per position.
    const r = await run('tshark', ['-2', '-r', file, '-Y', 'nbd', '-T', 'fields', '-E', 'separator=,', '-E', 'aggregator=;',
      '-e', 'frame.number', '-e', 'nbd.magic', '-e', 'nbd.type', '-e', 'nbd.handle', '-e', 'nbd.response_in', '-e', 'nbd.response_to']);
    expect(r.code, r.stderr).toBe(0);
    // One row per NBD message: frame, magic, type, handle, response_in, response_to.
    const rows: string[][] = [];
    for (const line of r.stdout.trim().split('\n')) {
      const [frame, ...fields] = line.split(',');
      const cols = fields.map((f) => f.split(';'));
      for (let i = 0; i < cols[0]!.length; i++) rows.push([frame!, ...cols.map((c) => c[i] ?? '')]);
    }
    // NBD_REQUEST_MAGIC 0x25609513 and NBD_SIMPLE_REPLY_MAGIC 0x67446698.
    const requests = rows.filter((x) => Number(x[1]) === 0x25609513);
    const replies = rows.filter((x) => Number(x[1]) === 0x67446698);
    expect(requests.map((x) => Number(x[2]))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(new Set(requests.map((x) => x[3]))).toEqual(new Set(['0x0000000100000000', '0x0000000100000001', '0x0000000100000002', '0x0000000100000003']));
    expect(replies.length).toBe(8);
    // Every request names the frame of its reply, and that frame carries a reply with the same handle.
    const handles = (xs: string[][]) => xs.map((x) => x[3]).sort();
    expect(handles(replies)).toEqual(handles(requests));
    for (const q of requests) {
      expect(replies.some((p) => p[0] === q[4] && p[3] === q[3]), `request ${q[3]} in frame ${q[0]}: no reply with its handle in frame ${q[4]}`).toBe(true);
    }
    for (const p of replies) expect(p[5]).not.toBe('');
  });
});
