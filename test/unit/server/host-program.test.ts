import { describe, expect, it } from 'vitest';
import { buildMachine, type Machine } from '../../../scenarios/machine/index.ts';
import { NbdServerProgram } from '../../../scenarios/hosts/nbd-server/index.ts';
import { newRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { SimClient } from './sim-client.ts';

const MiB = 1 << 20;
const CMD = { READ: 0, WRITE: 1, FLUSH: 3 };

function machine(seed = 1): Machine {
  const link = { rateBps: 10e9, propagationNs: 5_000 };
  return buildMachine({
    hosts: [
      { name: 'client', role: 'client', ip: '10.0.0.1', link },
      { name: 'server-a', role: 'server', ip: '10.0.0.2', link },
    ],
  }, { seed });
}

const fill = (n: number, b: number) => new Uint8Array(n).fill(b);

describe('NBD server program on a simulated host', () => {
  it('serves GO, WRITE, FLUSH and READ over the kernel TCP stack from a virtual disk', () => {
    const m = machine();
    const prog = new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: 4 * MiB, disk: 'nvme' }] });
    prog.start();
    const c = new SimClient(m, 'vol');
    m.engine.run();
    expect(c.session).not.toBeNull();
    const w = c.submit(newRequest(CMD.WRITE, 65536, 131072, fill(131072, 0x5a)));
    m.engine.run();
    const f = c.submit(newRequest(CMD.FLUSH));
    m.engine.run();
    const t0 = m.engine.now;
    const r = c.submit(newRequest(CMD.READ, 65536, 131072, new Uint8Array(131072)));
    m.engine.run();
    expect([w.error, f.error, r.error]).toEqual([0, 0, 0]);
    expect(r.data!.every((b) => b === 0x5a)).toBe(true);
    // The nvme preset's 80 µs read latency is on the path (network adds more).
    expect(m.engine.now - t0).toBeGreaterThan(80_000);
    expect(prog.disks.get('vol')!.peekDurable(65536, 4).every((b) => b === 0x5a)).toBe(true);
  });

  it('a crash loses the unflushed writes and drops connections; after restart a new client sees the flushed data', () => {
    const m = machine(2);
    const prog = new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: MiB, disk: 'ram' }] });
    prog.start();
    const a = new SimClient(m, 'vol');
    m.engine.run();
    a.submit(newRequest(CMD.WRITE, 0, 4096, fill(4096, 1)));
    m.engine.run();
    a.submit(newRequest(CMD.FLUSH));
    m.engine.run();
    a.submit(newRequest(CMD.WRITE, 8192, 4096, fill(4096, 2)));
    m.engine.run();
    expect(a.done.map((r) => r.error)).toEqual([0, 0, 0]);
    prog.crash();
    expect(prog.connections).toBe(0);
    prog.start();
    const b = new SimClient(m, 'vol');
    m.engine.run();
    const r1 = b.submit(newRequest(CMD.READ, 0, 4096, new Uint8Array(4096)));
    const r2 = b.submit(newRequest(CMD.READ, 8192, 4096, new Uint8Array(4096)));
    m.engine.run();
    expect(r1.data!.every((x) => x === 1)).toBe(true);
    expect(r2.data!.every((x) => x === 0)).toBe(true);
  });

  it('is deterministic: same seed, same trace digest', () => {
    const run = (seed: number) => {
      const m = machine(seed);
      new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: MiB, disk: 'ssd' }] }).start();
      const c = new SimClient(m, 'vol');
      m.engine.run();
      for (let i = 0; i < 8; i++) c.submit(newRequest(CMD.WRITE, i * 4096, 4096, fill(4096, i)));
      m.engine.run();
      return m.engine.trace.digest();
    };
    expect(run(9)).toBe(run(9));
  });
});

describe('NBD server program with TLS-PSK (simulated TLS of drivers/nbd/security)', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const setup = () => {
    const m = machine(5);
    const prog = new NbdServerProgram(m.host('server-a'), {
      exports: [{ name: 'vol', size: MiB, disk: 'ram' }], tls: 'require', tlsKeys: [{ identity: 'orion', psk: key }],
    });
    prog.start();
    return m;
  };

  it('the right key: STARTTLS, GO and data over encrypted records', () => {
    const m = setup();
    const c = new SimClient(m, 'vol', { tls: { identity: 'orion', psk: key } });
    m.engine.run();
    expect(c.status).toBe('ready');
    expect(c.hs.result!.tls).toBe(true);
    c.submit(newRequest(CMD.WRITE, 0, 4096, fill(4096, 9)));
    const r = c.submit(newRequest(CMD.READ, 0, 4096, new Uint8Array(4096)));
    m.engine.run();
    expect(r.error).toBe(0);
    expect(r.data!.every((b) => b === 9)).toBe(true);
  });

  it('a wrong key or unknown identity fails the handshake with the reason', () => {
    const m = setup();
    const wrong = new SimClient(m, 'vol', { tls: { identity: 'orion', psk: new Uint8Array(32).fill(0xff) } });
    m.engine.run();
    expect(wrong.status).toBe('dead');
    expect(wrong.hs.failure?.kind).toBe('tls-failed');
    expect(wrong.hs.failure?.message).toMatch(/Finished does not verify|wrong PSK/);
    const m2 = setup();
    const stranger = new SimClient(m2, 'vol', { tls: { identity: 'mallory', psk: key } });
    m2.engine.run();
    expect(stranger.status).toBe('dead');
  });

  it('without STARTTLS the client is told TLS is required', () => {
    const m = setup();
    const c = new SimClient(m, 'vol');
    m.engine.run();
    expect(c.status).not.toBe('ready');
    expect(c.hs.failure?.kind).toBe('tls-required');
  });
});

describe('NBD server program restart', () => {
  it('a restart after a crash comes back un-hung', () => {
    const m = machine(6);
    const prog = new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: MiB, disk: 'ram' }] });
    prog.start();
    prog.server.setHang(true);
    prog.crash();
    prog.start();
    expect(prog.server.faults.hang).toBe(false);
    const c = new SimClient(m, 'vol');
    m.engine.run();
    expect(c.status).toBe('ready');
  });
});

describe('NBD server program back-pressure', () => {
  it('a reply larger than the socket send buffer is queued and arrives whole', () => {
    const m = machine(7);
    const prog = new NbdServerProgram(m.host('server-a'), { exports: [{ name: 'vol', size: 16 * MiB, disk: 'ram' }] });
    prog.start();
    const c = new SimClient(m, 'vol');
    m.engine.run();
    const data = Uint8Array.from({ length: 8 * MiB }, (_, i) => (i * 7) & 0xff);
    // Write in 1 MiB pieces (the client socket takes what fits), then read 8 MiB back in one reply.
    for (let i = 0; i < 8; i++) {
      c.submit(newRequest(CMD.WRITE, i * MiB, MiB, data.subarray(i * MiB, (i + 1) * MiB)));
      m.engine.run();
    }
    const r = c.submit(newRequest(CMD.READ, 0, 8 * MiB, new Uint8Array(8 * MiB)));
    m.engine.run();
    expect(r.error).toBe(0);
    expect(Buffer.compare(Buffer.from(r.data!), Buffer.from(data))).toBe(0);
  });
});
