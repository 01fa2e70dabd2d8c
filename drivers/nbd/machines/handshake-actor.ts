import type { ActorLogic, ActorRefFrom, EventObject, Snapshot } from 'xstate';
import type { ExportInfo } from '../protocol-port.ts';

/** Why the server (or the device) refused a connection's handshake; the errno the device reports. */
export interface HandshakeRefusal {
  readonly reason: string;
  readonly errno: number;
}

/** What the protocol handshake tells the actor running it. */
export interface HandshakeOutcome {
  ready(info: ExportInfo): void;
  failed(reason: string, errno: number): void;
}

type HandshakeDone = { type: 'NEGOTIATED'; info: ExportInfo } | { type: 'REFUSED'; refusal: HandshakeRefusal };
export type HandshakeSnapshot = Snapshot<ExportInfo>;
export type HandshakeLogic = ActorLogic<HandshakeSnapshot, HandshakeDone & EventObject, undefined>;
export type HandshakeRef = ActorRefFrom<HandshakeLogic>;

/**
 * One NBD handshake as an actor the connection chart invokes: it ends `done` with the negotiated
 * export (the chart's onDone) or in `error` with a HandshakeRefusal (onError). `begin` starts the
 * protocol exchange when the actor starts and reports its end through the outcome it is given;
 * leaving the chart's handshake state stops the actor, and a late outcome is then ignored.
 */
export function handshakeActor(begin: (outcome: HandshakeOutcome) => void): HandshakeLogic {
  return {
    config: begin,
    getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
    start: (_snap, scope) => {
      const self = scope.self;
      begin({
        ready: (info) => self.send({ type: 'NEGOTIATED', info }),
        failed: (reason, errno) => self.send({ type: 'REFUSED', refusal: { reason, errno } }),
      });
    },
    transition: (snap, ev) => {
      if (snap.status !== 'active') return snap;
      if (ev.type === 'NEGOTIATED') return { status: 'done', output: ev.info, error: undefined };
      if (ev.type === 'REFUSED') return { status: 'error', output: undefined, error: ev.refusal };
      return snap;
    },
    getPersistedSnapshot: (snap) => snap,
  };
}

/** A handshake that never ends (the chart's default until the pool provides the real one). */
export const idleHandshake: HandshakeLogic = handshakeActor(() => {});
