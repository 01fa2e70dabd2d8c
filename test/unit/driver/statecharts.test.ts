import { getShortestPaths, getStateNodes } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { createSimActor, Engine } from '../../../hw-sim/engine/index.ts';
import { connectionMachine, type ConnectionEvent, type ConnectionInput, type HandshakeEnd } from '../../../drivers/nbd/machines/connection-machine.ts';
import { deviceMachine, type DeviceEvent } from '../../../drivers/nbd/machines/device-machine.ts';

/** Every leaf state id of a machine (what "every state reachable" must cover). */
function leafStates(m: AnyStateMachine): string[] {
  return getStateNodes(m.root).filter((n) => n.type === 'atomic' || n.type === 'final').map((n) => n.path.join('.')).sort();
}

function reached(paths: Array<{ state: { value: unknown } }>): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, prefix: string[]): void => {
    if (typeof v === 'string') out.add([...prefix, v].join('.'));
    else if (v && typeof v === 'object') for (const [k, sub] of Object.entries(v)) walk(sub, [...prefix, k]);
  };
  for (const p of paths) walk(p.state.value, []);
  return [...out].sort();
}

describe('statecharts: every state reachable', () => {
  it('device lifecycle', () => {
    const ph = (conn: number, phase: 'handshake' | 'transmission' | 'dead' | 'closed'): DeviceEvent => ({ type: 'CONN_PHASE', conn, phase, wanted: 2 });
    const events: DeviceEvent[] = [
      { type: 'CONFIGURE', wanted: 2 }, ph(0, 'handshake'), { type: 'NEGOTIATED', size: 1 }, ph(0, 'transmission'), ph(1, 'transmission'),
      ph(1, 'dead'), ph(0, 'dead'), { type: 'CONN_REFUSED', conn: 0, reason: 'x', errno: 5 }, { type: 'RESET' }, { type: 'DISCONNECT' },
    ];
    const paths = getShortestPaths(deviceMachine, { events, toState: undefined, serializeState: (st) => JSON.stringify(st.value) + JSON.stringify(st.context.phases) + st.context.size + st.context.refusal });
    expect(reached(paths)).toEqual(leafStates(deviceMachine));
    expect(leafStates(deviceMachine)).toEqual(
      ['connecting', 'degraded', 'disconnected', 'disconnecting', 'failed', 'negotiating', 'ready', 'unconfigured'],
    );
  });

  it('connection lifecycle', () => {
    const input: ConnectionInput = {
      rng: { name: 't', next: () => 0.5, int: () => 0, chance: () => false, range: (a) => a, normal: () => 0, exponential: (m) => m },
      retryCount: 1, timeoutMs: 10, backoffBaseMs: 1, backoffCapMs: 4, jitter: 0.5,
    };
    // The invoked handshake's end reaches the chart as xstate's done / error events of the child.
    const info = { name: 'e', size: 1 } as unknown as Extract<HandshakeEnd, { output: unknown }>['output'];
    const events: Array<ConnectionEvent | HandshakeEnd> = [
      { type: 'START' }, { type: 'SOCKET_UP' }, { type: 'SOCKET_DOWN', reason: 'rst' }, { type: 'TLS_START' }, { type: 'TLS_DONE' },
      { type: 'xstate.done.actor.handshake', output: info }, { type: 'xstate.error.actor.handshake', error: { reason: 'policy', errno: 1 } },
      { type: 'PROTOCOL_FATAL', reason: 'bad magic' },
      { type: 'SHUTDOWN' }, { type: 'DRAIN' }, { type: 'DRAINED' }, { type: 'REVIVE' }, { type: 'KILL', reason: 'rm' },
    ];
    const paths = getShortestPaths(connectionMachine, { events, input });
    expect(reached(paths)).toEqual(leafStates(connectionMachine));
    expect(leafStates(connectionMachine)).toEqual(
      ['backoff', 'closed', 'connect', 'dead', 'draining', 'handshake.options', 'handshake.tls', 'idle', 'transmission'],
    );
  });

  it('backoff is capped and exponential, with the configured jitter fraction', () => {
    // Independent expectation: base 100 ms doubling, cap 400 ms, jitter 0.2 with rng 0.5 ⇒ 0.9 × exp.
    const delays: number[] = [];
    const exp = [100, 200, 400, 400];
    for (let a = 0; a < exp.length; a++) delays.push(exp[a]! * 0.8 + exp[a]! * 0.2 * 0.5);
    expect(delays).toEqual([90, 180, 360, 360]);
    const engine = new Engine({ seed: 1 });
    const actor = createSimActor(engine, connectionMachine, { name: 'c', input: {
      rng: { name: 't', next: () => 0.5, int: () => 0, chance: () => false, range: (a: number) => a, normal: () => 0, exponential: (x: number) => x },
      retryCount: 10, timeoutMs: 10_000, backoffBaseMs: 100, backoffCapMs: 400, jitter: 0.2,
    } });
    actor.start();
    actor.send({ type: 'START' });
    const got: number[] = [];
    const reconnectAfterNs: number[] = [];
    for (let i = 0; i < 4; i++) {
      actor.send({ type: 'SOCKET_DOWN', reason: 'x' });
      got.push(actor.getSnapshot().context.backoffMs);
      const t0 = engine.now;
      while (actor.getSnapshot().value !== 'connect') engine.step();
      reconnectAfterNs.push(engine.now - t0);
    }
    expect(reconnectAfterNs).toEqual(delays.map((d) => d * 1_000_000));
    expect(got).toEqual(delays);
  });
});

describe('the device chart decides from raw connection events', () => {
  it('a lost connection takes the device to degraded, its return back to ready; the device only reports facts', async () => {
    const { config, rig } = await import('./harness.ts');
    const cfg = config({
      connectionPoolSize: 2, connectionMaxCount: 2, connectionTimeoutNs: 50_000_000,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    });
    const r = rig(91, cfg, (n) => n.addServer('srv', { size: 1 << 22 }));
    const sent: string[] = [];
    const send = r.dev.actor.send.bind(r.dev.actor);
    r.dev.actor.send = (ev) => { sent.push(ev.type); send(ev); };
    r.engine.runUntil(10_000_000);
    expect(r.dev.state).toBe('ready');
    r.net.rst('srv', 1);
    const states: string[] = [];
    r.dev.actor.subscribe((snap) => { if (states[states.length - 1] !== snap.value) states.push(snap.value as string); });
    r.engine.runUntil(r.engine.now + 1_000_000_000);
    expect(states).toEqual(['degraded', 'ready']);
    // What the device told its chart: facts about connections and the pool, no verdicts.
    expect(new Set(sent)).toEqual(new Set(['CONN_PHASE', 'POOL', 'NEGOTIATED']));
  });
});

describe('the connection chart runs its handshake as an invoked actor', () => {
  it('a child named handshake exists only while the chart is in handshake; its end moves the chart', async () => {
    const { config, rig } = await import('./harness.ts');
    const cfg = config({
      connectionPoolSize: 1, connectionMaxCount: 1, connectionTimeoutNs: 50_000_000,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    });
    const r = rig(92, cfg, (n) => n.addServer('srv', { size: 1 << 22 }));
    const seen: Array<[string, boolean]> = [];
    const slot = (): (typeof r.dev.conns.slots)[number] => r.dev.conns.slots[0]!;
    for (let t = 0; t < 10_000_000; t += 10_000) {
      r.engine.runUntil(t);
      if (r.dev.conns.slots.length === 0) continue;
      const snap = slot().actor!.getSnapshot() as { children: Record<string, unknown> };
      const row: [string, boolean] = [slot().phase, snap.children.handshake !== undefined];
      if (seen.length === 0 || seen.at(-1)![0] !== row[0] || seen.at(-1)![1] !== row[1]) seen.push(row);
    }
    expect(seen).toEqual([['connect', false], ['handshake', true], ['transmission', false]]);
  });
});
