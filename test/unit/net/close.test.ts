import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../../kernel/net/index.ts';
import { ADDR_B, pattern, twoHosts } from './helpers/hosts.ts';

const S = 1_000_000_000;

describe('TCP teardown', () => {
  it('simultaneous close: both sides pass through CLOSING and TIME_WAIT, then release', () => {
    const h = twoHosts({});
    const states: string[] = [];
    h.engine.trace.subscribe((r) => {
      if (r.kind === 'tcp.state') states.push(`${r.src.split('/')[0]}:${(r.data as { to: string }).to}`);
    });
    let server: TcpSocket | null = null;
    h.b.listen(80).onAccept = (s) => (server = s);
    const c = h.a.tcpSocket();
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    c.close();
    server!.close(); // both FINs cross on the wire
    h.engine.runUntil(2 * S);
    expect(states.filter((s) => s.endsWith('CLOSING')).sort()).toEqual(['a:CLOSING', 'b:CLOSING']);
    expect(states.filter((s) => s.endsWith('TIME_WAIT')).sort()).toEqual(['a:TIME_WAIT', 'b:TIME_WAIT']);
    h.engine.run();
    expect(h.a.connections()).toHaveLength(0);
    expect(h.b.connections()).toHaveLength(0);
  });

  it('close() with received data left unread resets the connection: the peer sees ECONNRESET', () => {
    const h = twoHosts({});
    let server: TcpSocket | null = null;
    h.b.listen(80).onAccept = (s) => (server = s); // read-into mode, never reads
    const c = h.a.tcpSocket();
    const errs: string[] = [];
    c.onError = (e) => errs.push(e.code);
    c.connect(ADDR_B, 80);
    c.send(pattern(1000));
    h.engine.runUntil(S);
    expect(server!.readable).toBe(1000);
    server!.close();
    h.engine.runUntil(2 * S);
    expect(errs).toEqual(['ECONNRESET']);
    expect(h.b.stats.tcpOutRsts).toBe(1);
  });

  it('a full backlog drops further SYNs; the client retries and gets in once accept() makes room', () => {
    const h = twoHosts({});
    const l = h.b.listen(80, { backlog: 1 });
    const c1 = h.a.tcpSocket();
    const c2 = h.a.tcpSocket();
    let c2Connected = -1;
    c2.onConnect = () => (c2Connected = h.engine.now);
    c1.connect(ADDR_B, 80);
    h.engine.runUntil(S / 2);
    c2.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    expect(l.queued).toBe(1);
    expect(l.synDrops).toBe(1);
    expect(c2Connected).toBe(-1);
    expect(l.accept()).toBeDefined();
    h.engine.runUntil(5 * S);
    // The SYN retransmission 1 s after the first attempt is accepted.
    expect(c2Connected).toBeGreaterThan(1.5 * S);
    expect(c2Connected).toBeLessThan(1.6 * S);
  });

  it('a queued connection reset before accept() leaves the accept queue', () => {
    const h = twoHosts({});
    const l = h.b.listen(80);
    const c = h.a.tcpSocket();
    c.connect(ADDR_B, 80);
    h.engine.runUntil(1_000_000_000);
    expect(l.queued).toBe(1);
    c.abort();
    h.engine.runUntil(2_000_000_000);
    expect(l.queued).toBe(0);
    expect(l.accept()).toBeUndefined();
  });

  it('closing a listener resets connections nobody accepted', () => {
    const h = twoHosts({});
    const l = h.b.listen(80);
    const c = h.a.tcpSocket();
    const errs: string[] = [];
    c.onError = (e) => errs.push(e.code);
    c.connect(ADDR_B, 80);
    h.engine.runUntil(S);
    l.close();
    h.engine.runUntil(2 * S);
    expect(errs).toEqual(['ECONNRESET']);
    const again = h.a.tcpSocket();
    again.onError = (e) => errs.push(e.code);
    again.connect(ADDR_B, 80);
    h.engine.runUntil(3 * S);
    expect(errs).toEqual(['ECONNRESET', 'ECONNREFUSED']);
  });
});
