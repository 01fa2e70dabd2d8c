// Every Orion private option (docs/nbd-extensions.md) and NBD_OPT_EXTENDED_HEADERS, sent to the
// real servers installed here: each answers NBD_REP_ERR_UNSUP (they all predate extended headers
// and know nothing of ours), stays in option haggling, and the export then works without them.
import { describe, expect, it } from 'vitest';
import { BridgeClient } from '../../../tools/bridge/client.ts';
import { probe } from '../../../tools/bridge/probe.ts';
import { NBD_OPT_EXTENDED_HEADERS, NBD_OPT_ORION_CHECKSUM, NBD_OPT_ORION_COMPRESSION, NBD_OPT_ORION_UDP_TRANSPORT, NBD_REP_ERR_UNSUP } from '../../../drivers/nbd/protocol/uapi.ts';
import { equalBytes, pattern } from './exercise.ts';
import { perTest } from './fixture.ts';
import { startNbdkit, startNbdServer, startQemuNbd, type Peer } from './peers.ts';

const t = perTest();
const MiB = 1024 * 1024;

const PEERS: [string, () => Promise<Peer>][] = [
  ['nbdkit memory', () => startNbdkit({ size: '4M' })],
  ['qemu-nbd', () => startQemuNbd(4 * MiB, 'disk')],
  ['nbd-server', () => startNbdServer(4 * MiB, 'disk')],
];

describe.each(PEERS)('%s refuses every extension cleanly', (_name, start) => {
  it('answers each option with NBD_REP_ERR_UNSUP; the export then reads back what was written', async () => {
    t.peer = await start();
    t.client = await BridgeClient.connect({
      host: t.peer.host, port: t.peer.port, exportName: t.peer.exportName, extendedHeaders: true,
      extensions: { compression: [1, 2], checksum: [1], udpTransport: true },
    });
    const x = t.client.info!;
    expect(x.extensions.map((o) => [o.option, o.granted, o.replyType])).toEqual([
      [NBD_OPT_EXTENDED_HEADERS, false, NBD_REP_ERR_UNSUP],
      [NBD_OPT_ORION_COMPRESSION, false, NBD_REP_ERR_UNSUP],
      [NBD_OPT_ORION_CHECKSUM, false, NBD_REP_ERR_UNSUP],
      [NBD_OPT_ORION_UDP_TRANSPORT, false, NBD_REP_ERR_UNSUP],
    ]);
    expect([x.extendedHeaders, x.compression, x.checksum, x.viaExportName]).toEqual([false, 0, 0, false]);
    expect(x.udp ?? null).toBeNull(); // no UDP grant: transmission stays on TCP
    const p = pattern(256 * 1024, 5);
    await t.client.write(MiB, p);
    await t.client.flush();
    expect(equalBytes(await t.client.read(MiB, p.length), p)).toBe(true);
  });
});

describe('probe prints which extensions a server offers', () => {
  it('nbdkit: every extension refused, as text and as JSON', async () => {
    t.peer = await startNbdkit({ size: '1M' });
    let out = '';
    const io = { out: (s: string) => { out += s; }, err: (s: string) => { out += s; } };
    expect(await probe(t.peer.uri, {}, io)).toBe(0);
    expect(out).toContain('extensions: extended-headers=refused (NBD_REP_ERR_UNSUP) compression=refused (NBD_REP_ERR_UNSUP) checksum=refused (NBD_REP_ERR_UNSUP) udp-transport=refused (NBD_REP_ERR_UNSUP)\n');
    out = '';
    expect(await probe(t.peer.uri, { json: true }, io)).toBe(0);
    expect((JSON.parse(out) as { extensions: unknown }).extensions).toEqual({
      'extended-headers': 'refused (NBD_REP_ERR_UNSUP)', compression: 'refused (NBD_REP_ERR_UNSUP)', checksum: 'refused (NBD_REP_ERR_UNSUP)', 'udp-transport': 'refused (NBD_REP_ERR_UNSUP)',
    });
  });
});
